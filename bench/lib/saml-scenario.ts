import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { SAML } from '@node-saml/node-saml';
import { parse } from 'node-html-parser';
import { CookieJar } from 'tough-cookie';
import { selfSignedCertificate } from '../../src/keys/certificate.ts';
import { MeasuredProcess } from './process-handle.ts';
import { round, runScenario, type ScenarioResult } from './scenario.ts';

// The SAML scenario, shared by `node bench/saml.ts` (alone, JSON report) and `npm run bench` (bench/run.ts, one row
// of its table): SP-initiated SSO with an existing session, a signed assertion per Response. The IdP runs alone in
// bench/saml-process.ts on a real MongoDB; this process is the browser and the SP (@node-saml/node-saml: it builds
// each AuthnRequest, signed on HTTP-Redirect unless told otherwise, and verifies every 50th Response). One op:
// AuthnRequest -> /saml/sso -> /auth (the engine finds the session) -> /saml/sso/callback -> the HTTP-POST page.

export const SAML_TARGET_PER_CORE = 200;

export interface SamlRun {
  result: ScenarioResult;
  /** CPU of the IdP's child processes per Response (none since schema validation is in-process), from /proc. */
  childCpuMsPerResponse: number;
  /** IdP process + its children, per Response, and 1000 / that: Responses per second per core. */
  totalCpuMsPerResponse: number;
  responsesPerSecPerCore: number;
}

/** utime+stime and cutime+cstime of a process, in ms (/proc/<pid>/stat fields 14-17, clock ticks of 10 ms). */
function procCpu(pid: number): { self: number; children: number } {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /, '').split(' ').map(Number);
  return { self: (fields[11]! + fields[12]!) * 10, children: (fields[13]! + fields[14]!) * 10 };
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
    method: 'POST', redirect: 'manual', body: new URLSearchParams(form).toString(), signal: AbortSignal.timeout(30_000),
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

/** The SP's options and metadata (a fresh RSA key when its AuthnRequests are signed). */
function benchSp(signed: boolean) {
  const pair = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const cert = selfSignedCertificate(pair.privateKey.export({ format: 'jwk' }), 'bench sp');
  const options = {
    issuer: 'https://bench.sp.test/sp', callbackUrl: 'http://127.0.0.1:9/acs', audience: 'https://bench.sp.test/sp',
    wantAssertionsSigned: true, wantAuthnResponseSigned: false, signatureAlgorithm: 'sha256' as const, acceptedClockSkewMs: 5000,
    validateInResponseTo: 'never' as never,
    ...(signed ? { privateKey: pair.privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(), publicCert: cert } : {}),
  };
  return { options, metadata: new SAML({ ...options, idpCert: 'unused' }).generateServiceProviderMetadata(null, signed ? cert : null) };
}

export interface SamlScenarioOptions {
  mongoUri: string;
  ops: number;
  concurrency: number;
  signed: boolean;
  timeCapMs: number;
  /** Directory for the measured window's .cpuprofile, when wanted. */
  profileDir?: string;
  log(line: string): void;
}

/** Starts the SAML IdP process, signs one browser in per worker, warms up, measures, and always stops the process. */
export async function runSamlScenario(options: SamlScenarioOptions): Promise<SamlRun> {
  const sp = benchSp(options.signed);
  const dir = mkdtempSync(path.join(tmpdir(), 'bench-saml-'));
  writeFileSync(path.join(dir, 'sp.xml'), sp.metadata);
  const idp = new MeasuredProcess(path.join(import.meta.dirname, '..', 'saml-process.ts'), { BENCH_MONGO_URI: options.mongoUri, BENCH_SAML_SP_METADATA: path.join(dir, 'sp.xml') }, []);
  try {
    const info = await idp.ready(120_000);
    const idpMetadata = await (await fetch(`${info.issuer}/saml/metadata`)).text();
    const idpCert = [...idpMetadata.matchAll(/<ds:X509Certificate>([^<]+)</g)].map((m) => m[1]!);
    const saml = new SAML({ ...sp.options, idpCert, idpIssuer: info.issuer, entryPoint: `${info.issuer}/saml/sso` });

    // One signed-in browser per worker (not measured): the first AuthnRequest shows the login page.
    const jars = await Promise.all(Array.from({ length: options.concurrency }, async () => {
      const jar = new CookieJar();
      const login = await getFollowing(jar, await saml.getAuthorizeUrlAsync('', undefined, {}));
      const form = parse(login.body).querySelector('form')!;
      const fields = Object.fromEntries(form.querySelectorAll('input[type=hidden]').map((i) => [i.getAttribute('name')!, i.getAttribute('value') ?? '']));
      const done = await postForm(jar, new URL(form.getAttribute('action')!, login.url).toString(), { ...fields, ...info.loginValues });
      const { profile } = await saml.validatePostResponseAsync({ SAMLResponse: samlResponseOf(done.body) });
      if (!profile?.nameID) throw new Error('sign-in did not produce an assertion');
      return jar;
    }));
    let checked = 0;
    const op = async (worker: number) => {
      const response = samlResponseOf((await getFollowing(jars[worker]!, await saml.getAuthorizeUrlAsync('', undefined, {}))).body);
      // Every 50th Response is verified by the SP (signature, audience, times); all must carry a signature.
      if (checked++ % 50 === 0) {
        const { profile } = await saml.validatePostResponseAsync({ SAMLResponse: response });
        if (!profile?.nameID) throw new Error('Response without a valid assertion');
      } else if (!Buffer.from(response, 'base64').toString().includes('<ds:SignatureValue>')) {
        throw new Error('unsigned Response');
      }
    };
    options.log(`saml: warm-up (${options.concurrency * 25} ops)`);
    await runScenario(idp, { name: 'saml_warmup', ops: options.concurrency * 25, warmupOps: 0, concurrency: options.concurrency, timeCapMs: Math.max(10_000, options.timeCapMs / 2), op });
    idp.profileDir = options.profileDir;
    const before = procCpu(idp.child.pid!);
    options.log(`saml: measuring ${options.ops} SP-initiated SSO with a session, concurrency ${options.concurrency}, ${options.signed ? 'signed' : 'unsigned'} AuthnRequests, cap ${(options.timeCapMs / 1000).toFixed(0)} s`);
    const result = await runScenario(idp, { name: 'saml_sso', ops: options.ops, warmupOps: 0, concurrency: options.concurrency, timeCapMs: options.timeCapMs, op });
    const after = procCpu(idp.child.pid!);
    const childCpuMsPerResponse = round((after.children - before.children) / Math.max(1, result.opsCompleted), 3);
    const total = result.cpuMsPerOp + childCpuMsPerResponse;
    return { result, childCpuMsPerResponse, totalCpuMsPerResponse: round(total, 3), responsesPerSecPerCore: round(1000 / total, 1) };
  } finally {
    await idp.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
