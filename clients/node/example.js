'use strict';
/**
 * Submit a Bell circuit to an Eigen OS stack, stream its events, print the counts, then show
 * how an error decodes. Against `eigen up`:
 *
 *   cd clients/node && npm ci && node example.js
 *
 * Endpoint: $EIGEN_ENDPOINT (default 127.0.0.1:50051). Token: $EIGEN_TOKEN, else the file
 * $EIGEN_HOME/token (default ~/.eigen/token) that `eigen up` writes.
 */

const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const { EigenClient, decodeError } = require('./lib/eigen.js');

const BELL = `OPENQASM 2.0;
include "qelib1.inc";
qreg q[2];
creg c[2];
h q[0];
cx q[0],q[1];
measure q -> c;
`;

function token() {
  if (process.env.EIGEN_TOKEN) return process.env.EIGEN_TOKEN;
  const home = process.env.EIGEN_HOME || path.join(os.homedir(), '.eigen');
  return fs.readFileSync(path.join(home, 'token'), 'utf8').trim();
}

async function main() {
  const client = new EigenClient(process.env.EIGEN_ENDPOINT || '127.0.0.1:50051', token());
  try {
    const job = await client.submit({
      name: 'node-bell',
      target: 'sim:local',
      qasm: { source: BELL, version: '2' },
      shots: 1000,
      seed: '7',
    });
    console.log(`submitted ${job.job_id}`);
    for await (const msg of { [Symbol.asyncIterator]: () => client.watch(job.job_id) }) {
      const u = msg.update;
      if (!u.heartbeat) console.log(`  #${u.event_seq} ${u.state} ${u.stage}: ${u.message}`);
    }
    const results = await client.results(job.job_id);
    console.log('counts', results.counts);

    try {
      await client.status('j0000000000000000dead');
    } catch (err) {
      const status = decodeError(err);
      console.log(`error ${err.code} ${status.errorInfo.reason}:`, status.message);
    }
  } finally {
    client.close();
  }
}

main().catch((err) => {
  const status = decodeError(err);
  console.error(status ? `${status.errorInfo?.reason}: ${status.message}` : err.message);
  process.exitCode = 1;
});
