import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { ParseOption, XmlDocument, xmlRegisterInputProvider, XsdValidator } from 'libxml2-wasm';
import { XmlBufferInputProvider } from 'libxml2-wasm/lib/utils.mjs';

// Schema validation of every inbound SAML message (saml-core §1.3 schemas; STACK-NOTES: a validator is
// mandatory with samlify), against the OASIS XSDs kept in ./schemas. The only importer of libxml2-wasm: libxml2
// (the library behind the `xmllint` binary used before) compiled to WebAssembly, in this process. A schema is
// compiled once and kept; a message then costs ~0.1 ms instead of a child process (~6 ms on our thread + ~7 ms CPU).
// Network and files are out of reach: libxml2 sees only the schema files we hand it from memory (no provider serves
// anything else, and its default I/O in WebAssembly is an empty in-memory file system), messages are parsed with
// XML_PARSE_NONET | XML_PARSE_NO_XXE, and documents with a DOCTYPE are refused before any parser (xml-guard.ts).
const PROTOCOL_XSD = path.join(import.meta.dirname, 'schemas', 'saml-schema-protocol-2.0.xsd');
const MAX_INPUT = 256 * 1024;
const MESSAGE_OPTIONS = ParseOption.XML_PARSE_NONET | ParseOption.XML_PARSE_NO_XXE;

export class SchemaInvalid extends Error {
  override name = 'SchemaInvalid';
}

// One provider for the process (libxml2's input callbacks are global); it serves the .xsd/.dtd files of the
// directories of the schemas asked for, by absolute path, which is how libxml2 resolves a relative schemaLocation.
const schemaFiles = new XmlBufferInputProvider({});
let registered = false;
// The schema documents stay referenced beside their validators: compiled components point into them (libxml2 frees
// neither until told to), and an unreferenced document would be freed by libxml2-wasm's FinalizationRegistry.
const compiled = new Map<string, { validator: XsdValidator; source: XmlDocument }>();

function validatorFor(xsd: string): XsdValidator {
  const file = path.resolve(xsd);
  const known = compiled.get(file);
  if (known) return known.validator;
  if (!registered) registered = xmlRegisterInputProvider(schemaFiles);
  const dir = path.dirname(file);
  for (const name of readdirSync(dir).filter((n) => /\.(xsd|dtd)$/.test(n))) {
    schemaFiles.addBuffer(path.join(dir, name), readFileSync(path.join(dir, name)));
  }
  const source = XmlDocument.fromBuffer(readFileSync(file), { url: file });
  let validator: XsdValidator;
  try {
    validator = XsdValidator.fromDoc(source);
  } catch (error) {
    source.dispose();
    throw error;
  }
  compiled.set(file, { validator, source });
  return validator;
}

function validate(xml: string, xsd: string): void {
  let validator: XsdValidator;
  try {
    validator = validatorFor(xsd);
  } catch (error) {
    throw new SchemaInvalid(`schema could not be loaded: ${(error as Error).message}`);
  }
  let doc: XmlDocument | undefined;
  try {
    doc = XmlDocument.fromString(xml, { option: MESSAGE_OPTIONS });
    validator.validate(doc);
  } catch (error) {
    throw new SchemaInvalid(((error as Error).message ?? 'invalid').split('\n')[0]!.slice(0, 300));
  } finally {
    doc?.dispose();
  }
}

export function validateSamlProtocol(xml: string, xsd = PROTOCOL_XSD): Promise<void> {
  if (xml.length > MAX_INPUT) return Promise.reject(new SchemaInvalid('message too large'));
  try {
    validate(xml, xsd);
    return Promise.resolve();
  } catch (error) {
    return Promise.reject(error);
  }
}
