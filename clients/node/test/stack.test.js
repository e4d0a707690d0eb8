'use strict';
/**
 * The Node.js client against a real stack (four Python processes, see stack.js): submit a Bell
 * job, stream its events to the terminal one, read the results (over gRPC and over REST), and
 * decode errors from `grpc-status-details-bin` into google.rpc.Status + ErrorInfo.
 */

const assert = require('node:assert/strict');
const { after, before, test } = require('node:test');

const { EigenClient, decodeError, grpc, TERMINAL } = require('../lib/eigen.js');
const { startStack } = require('../support/stack.js');

const BELL = [
  'OPENQASM 2.0;',
  'include "qelib1.inc";',
  'qreg q[2];',
  'creg c[2];',
  'h q[0];',
  'cx q[0],q[1];',
  'measure q -> c;',
  '',
].join('\n');

let stack;
let client;

before(
  async () => {
    stack = await startStack();
    client = new EigenClient(stack.endpoint, stack.token);
  },
  { timeout: 240000 },
);

after(async () => {
  if (client) client.close();
  if (stack) await stack.stop();
});

/** The error a call rejects with (fails the test when it resolves). */
async function rejection(promise) {
  try {
    await promise;
  } catch (err) {
    return err;
  }
  assert.fail('the call succeeded');
}

test('submit a Bell job, stream to the terminal event, read the results', { timeout: 120000 }, async () => {
  const devices = await client.listDevices();
  assert.ok(devices.some((d) => d.device_id === 'aer.statevector'));

  const accepted = await client.submit({
    name: 'node-bell',
    target: 'sim:local',
    qasm: { source: BELL, version: '2' },
    shots: 1000,
    seed: '42',
    metadata: { client: 'node' },
  });
  assert.match(accepted.job_id, /^j[0-9a-f]+$/);
  assert.equal(accepted.state, 'JOB_STATUS_COMPILING');

  const updates = await client.waitTerminal(accepted.job_id);
  const seqs = updates.map((u) => Number(u.event_seq));
  assert.deepEqual(
    seqs,
    seqs.map((_, i) => i + 1),
  );
  const last = updates[updates.length - 1];
  assert.ok(last.terminal && TERMINAL.has(last.state));
  assert.equal(last.state, 'JOB_STATUS_DONE');
  assert.equal(updates.filter((u) => u.terminal).length, 1);

  const results = await client.results(accepted.job_id);
  assert.equal(results.state, 'JOB_STATUS_DONE');
  const counts = Object.fromEntries(Object.entries(results.counts).map(([k, v]) => [k, Number(v)]));
  assert.deepEqual(Object.keys(counts).sort(), ['00', '11']);
  assert.equal(counts['00'] + counts['11'], 1000);
  assert.equal(results.metadata.seed, '42');

  // the same seed gives the same counts
  const again = await client.submit({
    name: 'node-bell-2',
    target: 'sim:local',
    qasm: { source: BELL, version: '2' },
    shots: 1000,
    seed: '42',
  });
  await client.waitTerminal(again.job_id);
  assert.deepEqual((await client.results(again.job_id)).counts, results.counts);

  // resuming the stream returns exactly the events after the resume point
  const tail = [];
  for await (const m of { [Symbol.asyncIterator]: () =>
    client.watch(accepted.job_id, { lastEventSeq: seqs.length - 2 }) }) {
    tail.push(Number(m.update.event_seq));
  }
  assert.deepEqual(tail, seqs.slice(-2));

  // the same results over REST (HTTP/JSON, same bearer token)
  assert.ok(stack.restPort > 0, 'the system-api logs its REST port');
  const rest = await fetch(`http://127.0.0.1:${stack.restPort}/v1/jobs/${accepted.job_id}/results`, {
    headers: { authorization: `Bearer ${stack.token}` },
  });
  assert.equal(rest.status, 200);
  assert.deepEqual((await rest.json()).counts, results.counts);
});

test('errors decode from grpc-status-details-bin into google.rpc.Status and ErrorInfo', { timeout: 60000 }, async () => {
  const missing = await rejection(client.status('j0000000000000000dead'));
  assert.equal(missing.code, grpc.status.NOT_FOUND);
  const status = decodeError(missing);
  assert.equal(status.code, grpc.status.NOT_FOUND);
  assert.equal(status.message, missing.details);
  assert.equal(status.details[0]['@type'], 'google.rpc.ErrorInfo');
  assert.equal(status.errorInfo.reason, 'JOB_NOT_FOUND');
  assert.equal(status.errorInfo.domain, 'eigen.os');
  assert.equal(status.errorInfo.metadata.retryable, 'false');

  // validation: ErrorInfo first, then BadRequest with every violation at once
  const invalid = await rejection(client.submit({ name: 'bad name!', shots: -1 }));
  assert.equal(invalid.code, grpc.status.INVALID_ARGUMENT);
  const bad = decodeError(invalid);
  assert.equal(bad.errorInfo.reason, 'VALIDATION_FAILED');
  assert.equal(bad.details[1]['@type'], 'google.rpc.BadRequest');
  const fields = bad.details[1].field_violations.map((v) => v.field);
  for (const f of ['name', 'target', 'shots', 'program']) {
    assert.ok(fields.includes(f), `${f} in ${fields}`);
  }

  // no token: UNAUTHENTICATED, decoded the same way
  const anonymous = new EigenClient(stack.endpoint, '');
  try {
    const denied = await rejection(anonymous.listDevices());
    assert.equal(denied.code, grpc.status.UNAUTHENTICATED);
    assert.equal(decodeError(denied).errorInfo.domain, 'eigen.os');
  } finally {
    anonymous.close();
  }
});

test('the internal services refuse callers without the stack secret', { timeout: 60000 }, async () => {
  const kernel = new grpc.Client(stack.kernelEndpoint, grpc.credentials.createInsecure());
  try {
    const err = await new Promise((resolve) => {
      kernel.makeUnaryRequest(
        '/eigen.kernel.v1.KernelGatewayService/ListDevices',
        () => Buffer.alloc(0),
        (b) => b,
        {},
        (e) => resolve(e),
      );
    });
    assert.ok(err, 'the kernel answered a call without the internal secret');
    assert.equal(err.code, grpc.status.UNAUTHENTICATED);
    assert.equal(decodeError(err).errorInfo.reason, 'INTERNAL_CREDENTIALS_MISSING');
  } finally {
    kernel.close();
  }
});
