'use strict';
/**
 * A real Eigen OS stack for the Node tests: the four Python services as separate processes
 * (`python -m eigen_<service>` through uv), each bound to port 0; the bound ports are read from
 * the JSON log line `{"event": "server started", "port": N}` each prints on stderr (the
 * system-api's REST port from its `rest started` line), as tests/conftest.py does.
 *
 * Like `eigen up`, the launcher writes a per-stack internal secret (0600) that every service
 * gets as `<PREFIX>INTERNAL_TOKEN_FILE` (the internal services then refuse calls without it)
 * and an API keys file holding only the sha256 of a fresh admin token.
 *
 * Python: `python3 -m uv run --frozen python` from the repository root, or $EIGEN_PYTHON.
 */

const { spawn } = require('node:child_process');
const crypto = require('node:crypto');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const readline = require('node:readline');

const ROOT = path.resolve(__dirname, '..', '..', '..');
const PYTHON = process.env.EIGEN_PYTHON
  ? [process.env.EIGEN_PYTHON]
  : ['python3', '-m', 'uv', 'run', '--frozen', 'python'];

/**
 * Start `python -m <module>` and resolve once it logs `server started`.
 *
 * @returns {Promise<{name: string, proc: import('node:child_process').ChildProcess,
 *   port: number, lines: object[], logPath: string}>}
 */
function startService(name, module, env, logDir, timeoutMs = 120000) {
  const logPath = path.join(logDir, `${name}.log`);
  const log = fs.createWriteStream(logPath);
  const proc = spawn(PYTHON[0], [...PYTHON.slice(1), '-m', module], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const lines = [];
  const raw = [];
  proc.on('close', () => log.end()); // after the last stderr line was written
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      proc.kill('SIGKILL');
      reject(new Error(`${name} did not start within ${timeoutMs} ms; log: ${logPath}`));
    }, timeoutMs);
    const rl = readline.createInterface({ input: proc.stderr });
    rl.on('line', (line) => {
      log.write(`${line}\n`);
      raw.push(line);
      if (raw.length > 40) raw.shift();
      let event;
      try {
        event = JSON.parse(line);
      } catch (_) {
        return; // not a JSON log line (a library's own output)
      }
      lines.push(event);
      if (event.event === 'server started') {
        clearTimeout(timer);
        resolve({ name, proc, port: Number(event.port), lines, logPath });
      }
    });
    proc.on('close', (code, signal) => {
      clearTimeout(timer);
      const tail = raw.join('\n');
      reject(new Error(`${name} exited (${code ?? signal}) before it started; ${logPath}:\n${tail}`));
    });
  });
}

/**
 * The four services, started in dependency order in a fresh temporary home.
 *
 * @returns {Promise<{endpoint: string, restPort: number, token: string, home: string,
 *   stop: () => Promise<void>}>}
 */
async function startStack() {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'eigen-node-'));
  const logs = path.join(home, 'logs');
  fs.mkdirSync(logs);
  const secretFile = path.join(home, 'internal_token');
  fs.writeFileSync(secretFile, `${crypto.randomBytes(32).toString('base64url')}\n`, {
    mode: 0o600,
  });
  const token = `node-${crypto.randomBytes(24).toString('base64url')}`;
  const keysFile = path.join(home, 'api_keys.json');
  const sha256 = crypto.createHash('sha256').update(token).digest('hex');
  fs.writeFileSync(
    keysFile,
    JSON.stringify({ keys: [{ sha256, subject: 'node', roles: ['admin'], tenant: 'node' }] }),
  );
  const base = (prefix) => ({
    [`${prefix}PORT`]: '0',
    [`${prefix}METRICS_PORT`]: '0',
    [`${prefix}INTERNAL_TOKEN_FILE`]: secretFile,
    PYTHONUNBUFFERED: '1',
  });
  const services = [];
  const stop = async () => {
    const alive = services.filter((s) => s.proc.exitCode === null && s.proc.signalCode === null);
    await Promise.all(
      alive.reverse().map(
        (s) =>
          new Promise((resolve) => {
            const killer = setTimeout(() => s.proc.kill('SIGKILL'), 15000);
            s.proc.once('exit', () => {
              clearTimeout(killer);
              resolve();
            });
            s.proc.kill('SIGTERM');
          }),
      ),
    );
    fs.rmSync(home, { recursive: true, force: true });
  };
  try {
    const first = await Promise.allSettled([
      startService('compiler', 'eigen_compiler', base('EIGEN_COMPILER_'), logs),
      startService('driver-manager', 'eigen_driver_manager', base('EIGEN_DRIVER_MANAGER_'), logs),
    ]);
    for (const r of first) {
      if (r.status === 'fulfilled') services.push(r.value);
    }
    const failed = first.find((r) => r.status === 'rejected');
    if (failed) throw failed.reason;
    const [compiler, dm] = services;
    const kernel = await startService(
      'kernel',
      'eigen_kernel',
      {
        ...base('EIGEN_KERNEL_'),
        EIGEN_KERNEL_HOME: path.join(home, 'kernel'),
        EIGEN_KERNEL_COMPILER_ADDRESS: `127.0.0.1:${compiler.port}`,
        EIGEN_KERNEL_DRIVER_MANAGER_ADDRESS: `127.0.0.1:${dm.port}`,
      },
      logs,
    );
    services.push(kernel);
    const api = await startService(
      'system-api',
      'eigen_system_api',
      {
        ...base('EIGEN_SYSTEM_API_'),
        EIGEN_SYSTEM_API_KERNEL_ADDRESS: `127.0.0.1:${kernel.port}`,
        EIGEN_SYSTEM_API_COMPILER_ADDRESS: `127.0.0.1:${compiler.port}`,
        EIGEN_SYSTEM_API_API_KEYS_FILE: keysFile,
      },
      logs,
    );
    services.push(api);
    const rest = api.lines.find((l) => l.event === 'rest started');
    return {
      endpoint: `127.0.0.1:${api.port}`,
      restPort: rest ? Number(rest.rest_port) : 0,
      kernelEndpoint: `127.0.0.1:${kernel.port}`,
      token,
      home,
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

module.exports = { startStack };
