'use strict';
/**
 * A small Eigen OS client for Node.js: the public gRPC API (eigen.api.v1) loaded from the
 * repository's proto/ directory at run time with @grpc/proto-loader; no generated code.
 *
 * - Messages are plain objects with the proto field names (keepCase), enums as their names
 *   ("JOB_STATUS_DONE"), 64-bit integers as decimal strings (counts, event_seq).
 * - Every call carries `authorization: Bearer <token>` (an API key or a JWT).
 * - Errors: a failed call rejects with grpc-js's ServiceError; `decodeError(err)` reads its
 *   `grpc-status-details-bin` trailer into a google.rpc.Status whose details are decoded
 *   (ErrorInfo first: reason, domain "eigen.os", metadata incl. "retryable"; then BadRequest,
 *   PreconditionFailure, QuotaFailure or RetryInfo), using the vendored proto/google/rpc/*.proto.
 */

const path = require('node:path');
const grpc = require('@grpc/grpc-js');
const protoLoader = require('@grpc/proto-loader');
const protobuf = require('protobufjs');

/** proto/ of this repository (override with EIGEN_PROTO_DIR). */
const PROTO_DIR = process.env.EIGEN_PROTO_DIR || path.resolve(__dirname, '..', '..', '..', 'proto');

const LOADER_OPTIONS = {
  keepCase: true, // proto field names, as in the proto files, the REST API and the docs
  longs: String,
  enums: String,
  defaults: true,
  oneofs: true,
  includeDirs: [PROTO_DIR],
};

const TERMINAL = new Set([
  'JOB_STATUS_DONE',
  'JOB_STATUS_ERROR',
  'JOB_STATUS_CANCELLED',
  'JOB_STATUS_TIMEOUT',
]);

let statusRoot = null;

/** The google.rpc types (Status and the error details), loaded once from proto/google/rpc. */
function rpcTypes() {
  if (statusRoot === null) {
    const root = new protobuf.Root();
    root.resolvePath = (_origin, target) => path.join(PROTO_DIR, target);
    root.loadSync(['google/rpc/status.proto', 'google/rpc/error_details.proto'], {
      keepCase: true,
    });
    root.resolveAll();
    statusRoot = root;
  }
  return statusRoot;
}

/**
 * Decode a failed call's rich status.
 *
 * @param {import('@grpc/grpc-js').ServiceError} err the rejected call's error
 * @returns {{code: number, message: string, details: Array<object>, errorInfo: object|null}|null}
 *   the google.rpc.Status with each detail decoded to a plain object carrying its `@type`
 *   (unknown detail types keep their raw `value`), and `errorInfo` = the first detail when it
 *   is an ErrorInfo; null when the call carried no `grpc-status-details-bin`.
 */
function decodeError(err) {
  const raw = err && err.metadata ? err.metadata.get('grpc-status-details-bin') : [];
  if (!raw || raw.length === 0) {
    return null;
  }
  const root = rpcTypes();
  const Status = root.lookupType('google.rpc.Status');
  const status = Status.toObject(Status.decode(raw[0]), { longs: String, defaults: true });
  const details = status.details.map((any) => {
    const typeName = any.type_url.slice(any.type_url.lastIndexOf('/') + 1);
    let type = null;
    try {
      type = root.lookupType(typeName);
    } catch (_) {
      type = null; // not a google.rpc detail (e.g. eigen.api.v1.DiagnosticList)
    }
    if (type === null) {
      return { '@type': typeName, value: Buffer.from(any.value) };
    }
    const obj = type.toObject(type.decode(any.value), { longs: String, defaults: true });
    return { '@type': typeName, ...obj };
  });
  const first = details[0];
  return {
    code: status.code,
    message: status.message,
    details,
    errorInfo: first && first['@type'] === 'google.rpc.ErrorInfo' ? first : null,
  };
}

/** The eigen.api.v1 package (JobService, DeviceService, ...) loaded from proto/. */
function loadApi() {
  const definition = protoLoader.loadSync(
    ['eigen/api/v1/job.proto', 'eigen/api/v1/device.proto'],
    LOADER_OPTIONS,
  );
  return grpc.loadPackageDefinition(definition).eigen.api.v1;
}

class EigenClient {
  /**
   * @param {string} endpoint host:port of the system-api (e.g. "127.0.0.1:50051")
   * @param {string} token bearer token (API key or JWT)
   * @param {{credentials?: import('@grpc/grpc-js').ChannelCredentials, deadlineMs?: number}} [opts]
   *   TLS credentials (default: plaintext, for a loopback stack) and the unary deadline
   */
  constructor(endpoint, token, opts = {}) {
    const api = loadApi();
    const creds = opts.credentials || grpc.credentials.createInsecure();
    this.jobs = new api.JobService(endpoint, creds);
    // one channel (one HTTP/2 connection) for both services
    this.devices = new api.DeviceService(endpoint, creds, {
      channelOverride: this.jobs.getChannel(),
    });
    this.token = token;
    this.deadlineMs = opts.deadlineMs || 30000;
  }

  metadata() {
    const md = new grpc.Metadata();
    if (this.token) {
      md.set('authorization', `Bearer ${this.token}`);
    }
    return md;
  }

  unary(stub, method, request) {
    return new Promise((resolve, reject) => {
      const deadline = new Date(Date.now() + this.deadlineMs);
      stub[method](request, this.metadata(), { deadline }, (err, resp) =>
        err ? reject(err) : resolve(resp),
      );
    });
  }

  /** SubmitJob: `request` is a SubmitJobRequest object; resolves to {job_id, state, ...}. */
  submit(request) {
    return this.unary(this.jobs, 'SubmitJob', request);
  }

  /** GetJobStatus: resolves to the Job. */
  async status(jobId) {
    return (await this.unary(this.jobs, 'GetJobStatus', { job_id: jobId })).job;
  }

  /** GetJobResults of a terminal job. */
  results(jobId) {
    return this.unary(this.jobs, 'GetJobResults', { job_id: jobId });
  }

  /** ListDevices: resolves to the devices. */
  async listDevices() {
    return (await this.unary(this.devices, 'ListDevices', {})).devices;
  }

  /**
   * StreamJobUpdates as an async iterator of StreamJobUpdatesResponse objects ({update,
   * results}); it ends when the server closes the stream after the terminal event.
   *
   * @param {string} jobId the job
   * @param {{lastEventSeq?: number, includeResults?: boolean}} [opts] resume point, results
   */
  watch(jobId, opts = {}) {
    const call = this.jobs.StreamJobUpdates(
      {
        job_id: jobId,
        last_event_seq: String(opts.lastEventSeq || 0),
        include_results: Boolean(opts.includeResults),
      },
      this.metadata(),
    );
    return call[Symbol.asyncIterator]();
  }

  /** Wait for the terminal event; resolves to the list of non-heartbeat updates. */
  async waitTerminal(jobId) {
    const updates = [];
    for await (const msg of { [Symbol.asyncIterator]: () => this.watch(jobId) }) {
      if (!msg.update.heartbeat) {
        updates.push(msg.update);
      }
    }
    return updates;
  }

  close() {
    this.jobs.close(); // closes the shared channel
  }
}

module.exports = { EigenClient, decodeError, loadApi, PROTO_DIR, TERMINAL, grpc };
