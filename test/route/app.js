// The Tako API's discovery routes on node-postgres, served by tako_cache: the real client that
// test/suites/route.sh checks over HTTP and bench/http measures.
//
//   PGHOST PGPORT PGDATABASE PGUSER  the database (read by node-postgres itself)
//   PORT          port to listen on, on 127.0.0.1 (default 3000; 0: any free one); the bound port
//                 is printed as "listening <port>"
//   WORKERS       that many worker processes under Node's cluster module; 0 or unset: one process
//   BENCH_ROUTES  1: also the comparison routes of bench/http (bench_routes.js; REDIS_URL)
import cluster from 'node:cluster';
import express from 'express';
import pg from 'pg';
import { takoRoutes } from './routes.js';

const workers = Number(process.env.WORKERS || 0);

async function serve() {
  const pool = new pg.Pool();
  // A pooled connection that fails while idle is reported here; unheard, it would end the process.
  pool.on('error', (err) => console.error(`idle PostgreSQL connection failed: ${err.message}`));
  const app = express();
  app.disable('x-powered-by');
  app.use(takoRoutes(pool));
  if (process.env.BENCH_ROUTES === '1') {
    const { benchRoutes } = await import('./bench_routes.js');
    app.use(await benchRoutes(pool));
  }
  const server = app.listen(Number(process.env.PORT ?? 3000), '127.0.0.1', (err) => {
    if (err) {
      console.error(`cannot listen: ${err.message}`);
      process.exit(1);
    }
    // Under the cluster module the primary announces the port (the workers share it).
    if (cluster.isPrimary) console.log(`listening ${server.address().port}`);
  });
}

if (workers > 0 && cluster.isPrimary) {
  cluster.once('listening', (worker, address) => console.log(`listening ${address.port}`));
  // The primary leaves last, once its workers are gone: whoever waits for it knows they are.
  let alive = workers;
  let status = null;
  const stop = (code) => {
    status ??= code;
    for (const worker of Object.values(cluster.workers)) worker.process.kill('SIGTERM');
  };
  process.on('SIGTERM', () => stop(0));
  process.on('SIGINT', () => stop(0));
  cluster.on('exit', (worker, code, signal) => {
    // A worker gone by itself is a broken server: stop, so that whoever started it sees it.
    if (status === null) {
      console.error(`worker ${worker.process.pid} exited (${signal ?? code}); stopping`);
      stop(1);
    }
    if (--alive === 0) process.exit(status);
  });
  for (let i = 0; i < workers; i++) cluster.fork();
} else {
  // A worker whose primary is gone leaves too, instead of holding the port and its connections.
  if (cluster.isWorker) process.on('disconnect', () => process.exit(0));
  await serve();
}
