import { spawn } from 'node:child_process';
import path from 'node:path';

// Schema validation of every inbound SAML message (saml-core §1.3 schemas; STACK-NOTES: a validator is
// mandatory with samlify). The `xmllint` binary (Debian libxml2-utils) against the OASIS XSDs kept in
// ./schemas, fed on stdin; --nonet so a message can never make us fetch anything. Documents with a DOCTYPE are
// refused before they reach any parser (see xml-guard.ts).
const PROTOCOL_XSD = path.join(import.meta.dirname, 'schemas', 'saml-schema-protocol-2.0.xsd');
const TIMEOUT_MS = 5000;
const MAX_INPUT = 256 * 1024;

export class SchemaInvalid extends Error {
  override name = 'SchemaInvalid';
}

export function validateSamlProtocol(xml: string, xsd = PROTOCOL_XSD): Promise<void> {
  if (xml.length > MAX_INPUT) return Promise.reject(new SchemaInvalid('message too large'));
  return new Promise((resolve, reject) => {
    const child = spawn('xmllint', ['--noout', '--nonet', '--schema', xsd, '-'], { stdio: ['pipe', 'ignore', 'pipe'], timeout: TIMEOUT_MS });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      if (stderr.length < 4000) stderr += chunk;
    });
    child.on('error', (error) => reject(new SchemaInvalid(`xmllint could not run: ${error.message}`)));
    child.on('close', (code) => {
      if (code === 0) resolve();
      else reject(new SchemaInvalid(stderr.split('\n').find((line) => line.includes('error')) ?? `xmllint exited with ${code}`));
    });
    child.stdin.on('error', () => undefined); // xmllint may close stdin early on bad input; `close` reports it
    child.stdin.end(xml);
  });
}
