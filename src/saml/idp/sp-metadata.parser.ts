import { AppError } from '../../shared/app-error.ts';
import { BINDING, certificatesOf, extract, spEntity } from './saml-lib.ts';
import type { Endpoint } from './saml.models.ts';
import { refuseDoctype, XmlRefused } from './xml-guard.ts';

// An SP's metadata (saml-metadata §2.4.4 SPSSODescriptor): entityID, ACS and SLO endpoints, signing and
// encryption certificates, AuthnRequestsSigned. Endpoints keep their index/isDefault for index-based requests.

export interface SpMetadata {
  entityId: string;
  name?: string;
  acs: Endpoint[];
  slo: Endpoint[];
  authnRequestsSigned: boolean;
  signingCertificates: string[];
  encryptionCertificates: string[];
}

const list = <T>(value: T | T[] | undefined | null): T[] => (value == null ? [] : Array.isArray(value) ? value : [value]);
const SP = ['EntityDescriptor', 'SPSSODescriptor'];

export function parseSpMetadata(xml: string): SpMetadata {
  try {
    refuseDoctype(xml);
  } catch (error) {
    throw new AppError('saml.metadata_invalid: DOCTYPE', 400, { cause: error as XmlRefused });
  }
  let fields: Record<string, any>;
  try {
    fields = extract(xml, [
      { key: 'entity', localPath: ['EntityDescriptor'], attributes: ['entityID'] },
      { key: 'sp', localPath: SP, attributes: ['AuthnRequestsSigned', 'protocolSupportEnumeration'] },
      { key: 'acs', localPath: [...SP, 'AssertionConsumerService'], attributes: ['Binding', 'Location', 'index', 'isDefault', 'dummy'] },
      { key: 'slo', localPath: [...SP, 'SingleLogoutService'], attributes: ['Binding', 'Location', 'ResponseLocation', 'dummy'] },
      { key: 'name', localPath: ['EntityDescriptor', 'Organization', 'OrganizationDisplayName'], attributes: [] },
    ]);
  } catch (error) {
    throw new AppError(`saml.metadata_invalid: ${(error as Error).message}`, 400, { cause: error });
  }
  const entityId = fields.entity as string | undefined;
  if (!entityId || !fields.sp) throw new AppError('saml.metadata_invalid: no EntityDescriptor with entityID and SPSSODescriptor', 400);
  const acs = list(fields.acs as Record<string, string>[]).map((e) => ({
    binding: e.binding!, location: e.location!, index: e.index !== undefined ? Number(e.index) : undefined, isDefault: e.isDefault === 'true',
  }));
  const slo = list(fields.slo as Record<string, string>[]).map((e) => ({
    binding: e.binding!, location: e.location!, ...(e.responseLocation ? { responseLocation: e.responseLocation } : {}),
  }));
  if (!acs.some((e) => e.binding === BINDING.post && /^https?:\/\//.test(e.location))) {
    throw new AppError('saml.metadata_invalid: no AssertionConsumerService with the HTTP-POST binding', 400);
  }
  const entity = spEntity(xml);
  return {
    entityId,
    name: typeof fields.name === 'string' ? fields.name : undefined,
    acs,
    slo: slo.filter((e) => e.binding === BINDING.post || e.binding === BINDING.redirect),
    authnRequestsSigned: (fields.sp as Record<string, string>).authnRequestsSigned === 'true',
    signingCertificates: certificatesOf(entity, 'signing'),
    encryptionCertificates: certificatesOf(entity, 'encryption'),
  };
}
