import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os, { tmpdir } from 'node:os';
import path from 'node:path';
import { SAML } from '@node-saml/node-saml';
import { MongoMemoryReplSet } from 'mongodb-memory-server-core';
import { parse } from 'node-html-parser';
import { CookieJar } from 'tough-cookie';
import { selfSignedCertificate } from '../src/keys/certificate.ts';
import { generateKeyPairSync } from 'node:crypto';
import { MeasuredProcess } from './lib/process-handle.ts';
import { round, runScenario } from './lib/scenario.ts';

// `node bench/saml.ts`: SP-initiated SSO with an existing session, a signed Response per request. The IdP runs
// alone in a child process (bench/saml-process.ts) on a real MongoDB; this process is the browser and the SP
// (@node-saml/node-saml: it builds each AuthnRequest and checks a sample of the Responses). One operation:
// AuthnRequest (HTTP-Redirect, signed by the SP unless BENCH_SAML_SIGNED_REQUESTS=0) -> /saml/sso -> /auth (the
// engine finds the session) -> /saml/sso/callback -> the HTTP-POST page with a signed assertion.
// CPU per response is the IdP process's user+system time, plus that of its child processes (xmllint, which
// validates every inbound message), read from /proc. Settings: BENCH_SAML_OPS=1000 BENCH_SAML_CONCURRENCY=4.

const OPS = Number(process.env.BENCH_SAML_OPS ?? 1000);
const CONCURRENCY = Number(process.env.BENCH_SAML_CONCURRENCY ?? 4);
const SIGNED = process.env.BENCH_SAML_SIGNED_REQUESTS !== '0';
const TARGET_PER_CORE = 200;

const log = (line: string) => process.stderr.write(`[bench saml ${new Date().toISOString().slice(11, 19)}] ${line}\n`);

/** utime+stime and cutime+cstime of a process, in ms (/proc/<pid>/stat fields 14-17, clock ticks of 10 ms). */
function procCpu(pid: number): { self: number; children: number } {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /, '').split(' ').map(Number);
  const tick = 10;
  return { self: (fields[11]! + fields[12]!) * tick, children: (fields[13]! + fields[14]!) * tick };
}

async function getFollowing(jar: CookieJar, url: string, hops = 0): Promise<{ status: number; url: string; body: string }> {
  const cookie = await jar.getCookieString(url);
  const response = await fetch(url, { headers: { ...(cookie ? { cookie } : {}), accept: 'text/html' }, redirect: 'manual', signal: AbortSignal.timeout(30_000) });
  for (const setCookie of response.headers.getSetCookie()) await jar.setCookie(setCookie, url, { ignoreError: true });
  const location = response.headers.get('location');
  if (location && response.status >= 300 && response.status < 400) {
    await response.body?.cancel();
    if (hops > 10) throw new Error('too many redirects');
    return getFollowing(jar, new URL(location, url).toString(), hops + 1);
  }
  return { status: response.status, url, body: await response.text() };
}

async function postForm(jar: CookieJar, url: string, form: Record<string, string>) {
  const cookie = await jar.getCookieString(url);
  const response = await fetch(url, {
    method: 'POST', redirect: 'manual', body: new URLSearchParams(form).toString(),
    headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'text/html', ...(cookie ? { cookie } : {}) },
  });
  for (const setCookie of response.headers.getSetCookie()) await jar.setCookie(setCookie, url, { ignoreError: true });
  const location = response.headers.get('location');
  await response.body?.cancel();
  return location ? getFollowing(jar, new URL(location, url).toString()) : { status: response.status, url, body: '' };
}

function samlResponseOf(body: string): string {
  const value = parse(body).querySelector('form[data-auto-submit] input[name=SAMLResponse]')?.getAttribute('value');
  if (!value) throw new Error(`no SAMLResponse in page: ${body.slice(0, 200)}`);
  return value;
}

async function main() {
  const replSet = await MongoMemoryReplSet.create({ replSet: { count: 1, storageEngine: 'wiredTiger', ip: '127.0.0.1' } });
  const pair = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const cert = selfSignedCertificate(pair.privateKey.export({ format: 'jwk' }), 'bench sp');
  const privateKey = pair.privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
  const spOptions = {
    issuer: 'https://bench.sp.test/sp', callbackUrl: 'http://127.0.0.1:9/acs', audience: 'https://bench.sp.test/sp',
    wantAssertionsSigned: true, wantAuthnResponseSigned: false, signatureAlgorithm: 'sha256' as const, acceptedClockSkewMs: 5000, validateInResponseTo: 'never' as never,
    ...(SIGNED ? { privateKey, publicCert: cert } : {}),
  };
  const metadata = new SAML({ ...spOptions, idpCert: 'unused' }).generateServiceProviderMetadata(null, SIGNED ? cert : null);
  const metadataFile = path.join(mkdtempSync(path.join(tmpdir(), 'bench-saml-')), 'sp.xml');
  writeFileSync(metadataFile, metadata);

  const idp = new MeasuredProcess(path.join(import.meta.dirname, 'saml-process.ts'), { BENCH_MONGO_URI: replSet.getUri(), BENCH_SAML_SP_METADATA: metadataFile }, []);
  try {
    const info = await idp.ready(120_000);
    const idpMetadata = await (await fetch(`${info.issuer}/saml/metadata`)).text();
    const idpCert = [...idpMetadata.matchAll(/<ds:X509Certificate>([^<]+)</g)].map((m) => m[1]!);
    const sp = new SAML({ ...spOptions, idpCert, idpIssuer: info.issuer, entryPoint: `${info.issuer}/saml/sso` });

    // One signed-in browser per worker (not measured): the first AuthnRequest shows the login page.
    const jars = await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
      const jar = new CookieJar();
      const login = await getFollowing(jar, await sp.getAuthorizeUrlAsync('', undefined, {}));
      const form = parse(login.body).querySelector('form')!;
      const fields = Object.fromEntries(form.querySelectorAll('input[type=hidden]').map((i) => [i.getAttribute('name')!, i.getAttribute('value') ?? '']));
      const done = await postForm(jar, new URL(form.getAttribute('action')!, login.url).toString(), { ...fields, ...info.loginValues });
      const { profile } = await sp.validatePostResponseAsync({ SAMLResponse: samlResponseOf(done.body) });
      if (!profile?.nameID) throw new Error('sign-in did not produce an assertion');
      return jar;
    }));
    let checked = 0;
    const op = async (worker: number) => {
      const page = await getFollowing(jars[worker]!, await sp.getAuthorizeUrlAsync('', undefined, {}));
      const response = samlResponseOf(page.body);
      // Every 50th Response is verified by the SP (signature, audience, times); all must carry an assertion.
      if (checked++ % 50 === 0) {
        const { profile } = await sp.validatePostResponseAsync({ SAMLResponse: response });
        if (!profile?.nameID) throw new Error('Response without a valid assertion');
      } else if (!Buffer.from(response, 'base64').toString().includes('<ds:SignatureValue>')) {
        throw new Error('unsigned Response');
      }
    };
    log(`warm-up (${CONCURRENCY * 25} ops)`);
    await runScenario(idp, { name: 'saml_warmup', ops: CONCURRENCY * 25, warmupOps: 0, concurrency: CONCURRENCY, timeCapMs: 60_000, op });
    // BENCH_CPU_PROF=1: the measured window is profiled (V8 sampler in the IdP) to bench/results/profiles/.
    if (process.env.BENCH_CPU_PROF) {
      idp.profileDir = path.join(import.meta.dirname, 'results', 'profiles');
      mkdirSync(idp.profileDir, { recursive: true });
    }
    const pid = idp.child.pid!;
    const before = procCpu(pid);
    log(`measuring ${OPS} SP-initiated SSO with a session, concurrency ${CONCURRENCY}, ${SIGNED ? 'signed' : 'unsigned'} AuthnRequests`);
    const result = await runScenario(idp, { name: 'saml_sso_existing_session', ops: OPS, warmupOps: 0, concurrency: CONCURRENCY, timeCapMs: 120_000, op });
    const after = procCpu(pid);
    const childMsPerOp = (after.children - before.children) / result.opsCompleted;
    const totalMs = result.cpuMsPerOp + childMsPerOp;
    const report = {
      machine: { node: process.version, cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model, loadAverage1m: round(os.loadavg()[0] ?? 0, 2) },
      scenario: result.scenario, signedAuthnRequests: SIGNED, ops: result.opsCompleted, errors: result.errors, firstError: result.firstError,
      concurrency: CONCURRENCY, throughputResponsesPerSec: result.throughputOpsPerSec, latencyMs: result.latencyMs,
      idpCpuMsPerResponse: result.cpuMsPerOp, idpCpuUserMsPerResponse: result.cpuUserMsPerOp, idpCpuSystemMsPerResponse: result.cpuSystemMsPerOp,
      xmllintCpuMsPerResponse: round(childMsPerOp, 3), totalCpuMsPerResponse: round(totalMs, 3),
      responsesPerSecPerCore: round(1000 / totalMs, 1), responsesPerSecPerCoreIdpProcessOnly: round(1000 / result.cpuMsPerOp, 1),
      targetPerCore: TARGET_PER_CORE, mongoCommandsPerResponse: result.mongoCommandsPerOp, mongoByCollection: result.mongoCommandsPerOpByCollection,
    };
    process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    log(`${report.responsesPerSecPerCore} responses/s per core (${report.totalCpuMsPerResponse} CPU ms each, of which xmllint ${report.xmllintCpuMsPerResponse}); target >= ${TARGET_PER_CORE}`);
  } finally {
    await idp.stop();
    await replSet.stop();
  }
}

main().catch((error) => {
  process.stderr.write(`${(error as Error).stack ?? error}\n`);
  process.exit(1);
});
