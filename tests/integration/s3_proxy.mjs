// s3_proxy.mjs — a fault-injecting HTTP proxy in front of s3rver, for the
// s3 integration tests (tests/integration/lib.sh it_s3_proxy):
//
//   node s3_proxy.mjs LISTEN_PORT UPSTREAM_PORT [FAULT...]
//
// Faults (any of them, each as one argument):
//   slowdown=N        every Nth request is answered 503 SlowDown (S3's
//                     throttling answer) without reaching the server
//   cut=KEY:TIMES     the first TIMES GETs of an object whose key ends in KEY
//                     send their headers and half the body, then the
//                     connection is dropped (the server going away
//                     mid-object); TIMES = all: every one
//   deletehead=KEY    the same on the first HEAD (gone before its read starts)
//   stall=KEY         GETs of an object whose key ends in KEY are never answered
//                     (the connection stays open: a server that hangs)
//   log=1             print every request ("req METHOD URL host=HOST"), faults or not
//   delete=KEY        the first GET of an object whose key ends in KEY
//                     deletes it at the server first, then goes on (the
//                     object is listed, then gone before it is read)
// One line per fault injected goes to stdout ("slowdown GET /b/k", ...).
// Listens on 127.0.0.1 only.
import http from 'node:http';

const [listenPort, upstreamPort, ...faults] = process.argv.slice(2);
let slowdown = 0;
const cuts = new Map();
const deletes = new Set();
const deleteHeads = new Set();
const stalls = new Set();
let logAll = false;
for (const f of faults) {
  const [k, v] = f.split(/=(.*)/s);
  if (k === 'slowdown') slowdown = Number(v);
  else if (k === 'cut') {
    const i = v.lastIndexOf(':');
    cuts.set(v.slice(0, i), v.slice(i + 1) === 'all' ? Infinity : Number(v.slice(i + 1)));
  } else if (k === 'delete') deletes.add(v);
  else if (k === 'log') logAll = v === '1';
  else if (k === 'deletehead') deleteHeads.add(v);
  else if (k === 'stall') stalls.add(v);
  else throw new Error(`unknown fault ${f}`);
}
let count = 0;

function upstream(method, path, headers, body) {
  return new Promise((resolve, reject) => {
    const rq = http.request({ host: '127.0.0.1', port: upstreamPort, method, path, headers }, (rs) => {
      const parts = [];
      rs.on('data', (d) => parts.push(d));
      rs.on('end', () => resolve({ status: rs.statusCode, headers: rs.headers, body: Buffer.concat(parts) }));
      rs.on('error', reject);
    });
    rq.on('error', reject);
    rq.end(body);
  });
}

const keyEnds = (url, set) => {
  const p = decodeURIComponent(url.split('?')[0]);
  for (const k of set) if (p.endsWith(k)) return k;
  return null;
};

http.createServer((req, res) => {
  const parts = [];
  req.on('data', (d) => parts.push(d));
  req.on('end', async () => {
    count++;
    const body = Buffer.concat(parts);
    if (logAll) console.log(`req ${req.method} ${req.url} host=${req.headers.host}`);
    const isGet = req.method === 'GET' && !req.url.includes('list-type');
    try {
      if (slowdown > 0 && count % slowdown === 0) {
        console.log(`slowdown ${req.method} ${req.url}`);
        res.writeHead(503, { 'content-type': 'application/xml' });
        res.end('<?xml version="1.0" encoding="UTF-8"?><Error><Code>SlowDown</Code>' +
          '<Message>Please reduce your request rate.</Message></Error>');
        return;
      }
      if (isGet && keyEnds(req.url, stalls) !== null) {
        console.log(`stall ${req.url}`);
        return;
      }
      const set = isGet ? deletes : req.method === 'HEAD' ? deleteHeads : null;
      const del = set !== null ? keyEnds(req.url, set) : null;
      if (del !== null) {
        set.delete(del);
        const h = { ...req.headers };
        delete h['range'];
        await upstream('DELETE', req.url.split('?')[0], h, Buffer.alloc(0));
        console.log(`delete ${req.url}`);
      }
      const up = await upstream(req.method, req.url, req.headers, body);
      const cut = isGet && up.status < 300 ? keyEnds(req.url, cuts.keys()) : null;
      if (cut !== null && cuts.get(cut) > 0) {
        cuts.set(cut, cuts.get(cut) - 1);
        console.log(`cut ${req.url} ${req.headers.range || ''}`);
        res.writeHead(up.status, up.headers);
        res.write(up.body.subarray(0, Math.floor(up.body.length / 2)));
        setTimeout(() => res.socket.destroy(), 20);
        return;
      }
      res.writeHead(up.status, up.headers);
      res.end(up.body);
    } catch (e) {
      res.socket.destroy();
    }
  });
}).listen(Number(listenPort), '127.0.0.1');
