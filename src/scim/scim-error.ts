import type { Context } from 'koa';
import { ApiProblem } from '../admin/problem.ts';

// SCIM errors (RFC 7644 §3.12): the Error message schema, `status` as a string, and `scimType` where the RFC defines
// one (uniqueness, invalidFilter, invalidValue, invalidSyntax, invalidPath, noTarget, mutability, tooMany ...).

export const ERROR_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:Error';

export type ScimType = 'uniqueness' | 'invalidFilter' | 'invalidValue' | 'invalidSyntax' | 'invalidPath' | 'noTarget' | 'mutability' | 'tooMany' | 'invalidVers';

/** A SCIM error: a problem whose code carries the scimType (`scim.invalidFilter`), rendered below. */
export const scimError = (status: number, detail: string, scimType?: ScimType): ApiProblem =>
  new ApiProblem(status, scimType ? `scim.${scimType}` : 'scim.error', detail);

/** Our error codes that mean a SCIM uniqueness or value conflict. */
const SCIM_TYPES: Record<string, ScimType> = {
  'account.email_taken': 'uniqueness', 'account.external_id_taken': 'uniqueness', 'group.exists': 'uniqueness',
  'request.invalid': 'invalidValue', 'request.invalid_json': 'invalidSyntax', 'group.unknown_member': 'invalidValue',
};

export function renderScimProblem(ctx: Context, problem: ApiProblem): void {
  const { status, code, detail } = problem.problem;
  for (const [name, value] of Object.entries(problem.headers)) ctx.set(name, value);
  const own = code?.startsWith('scim.') && code !== 'scim.error' ? code.slice(5) as ScimType : undefined;
  const scimType = own ?? SCIM_TYPES[code ?? ''] ?? (status === 400 && code?.startsWith('profile.') ? 'invalidValue' : undefined);
  ctx.status = status;
  ctx.type = 'application/scim+json';
  ctx.body = {
    schemas: [ERROR_SCHEMA],
    status: String(status),
    ...(scimType ? { scimType } : {}),
    detail: detail ?? (problem.problem.field ? `${code}: ${problem.problem.field}` : code) ?? problem.problem.title,
  };
}
