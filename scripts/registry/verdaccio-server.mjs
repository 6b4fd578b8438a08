#!/usr/bin/env node
// A throw-away npm registry for the registry e2e test (test/registry.e2e.test.ts): Verdaccio on 127.0.0.1, a free
// port, its storage in a new temporary folder. It holds the @peft/* packages published to it (anonymous publish, no
// uplink: a @peft name never comes from npmjs) and fetches every other package from registry.npmjs.org.
//   node scripts/registry/verdaccio-server.mjs
// prints one line `{"url":"http://127.0.0.1:PORT/","storage":DIR}` on stdout once it listens; SIGTERM / SIGINT close
// it and remove its folder.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runServer } from 'verdaccio';

const UPLINK = process.env.PEFT_REGISTRY_UPLINK ?? 'https://registry.npmjs.org/';

const dir = mkdtempSync(join(tmpdir(), 'peft-verdaccio-'));
const configFile = join(dir, 'config.yaml');
writeFileSync(
  configFile,
  `storage: ${JSON.stringify(join(dir, 'storage'))}
self_path: ${JSON.stringify(dir)}
auth:
  htpasswd:
    file: ${JSON.stringify(join(dir, 'htpasswd'))}
    max_users: -1
uplinks:
  npmjs:
    url: ${JSON.stringify(UPLINK)}
    timeout: 60s
    maxage: 30m
packages:
  '@peft/*':
    access: $all
    publish: $all $anonymous
    unpublish: $all $anonymous
  '**':
    access: $all
    publish: $authenticated
    proxy: npmjs
server:
  keepAliveTimeout: 60
max_body_size: 200mb
web:
  enable: false
log: { type: stdout, format: pretty, level: warn }
`,
);

let server;
let closing = false;
function close(code) {
  if (closing) return;
  closing = true;
  const done = () => {
    rmSync(dir, { recursive: true, force: true });
    process.exit(code);
  };
  if (server) server.close(done);
  else done();
  setTimeout(done, 3000).unref(); // keep-alive sockets of npm clients must not hold the exit
}
process.on('SIGTERM', () => close(0));
process.on('SIGINT', () => close(0));
process.on('disconnect', () => close(0)); // the parent test is gone

try {
  const app = await runServer(configFile);
  server = app;
  await new Promise((resolve, reject) => app.once('error', reject).listen(0, '127.0.0.1', resolve));
  const { port } = app.address();
  process.stdout.write(`${JSON.stringify({ url: `http://127.0.0.1:${port}/`, storage: join(dir, 'storage') })}\n`);
} catch (e) {
  process.stderr.write(`verdaccio-server: ${e instanceof Error ? e.stack : String(e)}\n`);
  close(1);
}
