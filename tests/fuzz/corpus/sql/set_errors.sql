SET shards = 0;
