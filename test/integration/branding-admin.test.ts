import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { managementClient, OpenApiClient } from '../helpers/admin-api.ts';
import { startTestApp, type TestApp } from '../helpers/test-app.ts';

// The admin API's client operations set and remove branding (the OpenAPI document describes its members), and
// refuse a bad colour or logo with the validator's message.

describe('branding through the admin API', () => {
  let app: TestApp;
  let api: OpenApiClient;

  beforeAll(async () => {
    app = await startTestApp({ label: 'branding_admin' });
    const writer = await managementClient(app, 'idp:admin');
    api = await OpenApiClient.load(app, '/admin/api/openapi.json', await writer.token());
  });
  afterAll(async () => {
    await app?.stop();
  });

  test('the OpenAPI document describes the branding members of client metadata', async () => {
    const properties = (api.document as any).components.schemas.ClientMetadata.properties;
    expect(Object.keys(properties)).toEqual(expect.arrayContaining(['logo_uri', 'client_name#ja', 'branding_primary_color', 'support_uri', 'login_methods']));
    expect(properties.branding_primary_color.description).toContain('#rrggbb');
  });

  test('create with colours, change them, remove the logo; a bad colour or a logo that is not a web URL is refused', async () => {
    const created = await api.call('createClient', { body: {
      redirect_uris: ['https://shop.example/cb'], client_name: 'API Shop', 'client_name#ja': 'APIショップ',
      branding_primary_color: '#be123c', logo_uri: 'https://shop.example/logo.png', login_methods: ['password'],
    } });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ branding_primary_color: '#be123c', 'client_name#ja': 'APIショップ', login_methods: ['password'] });
    const id = created.body.client_id as string;

    const changed = await api.call('updateClient', { params: { id }, body: { branding_primary_color: '#0369a1', logo_uri: null } });
    expect(changed.status).toBe(200);
    expect(changed.body.branding_primary_color).toBe('#0369a1');
    expect(changed.body.logo_uri).toBeUndefined();
    expect(await (await fetch(`${app.issuer}/branding/${id}.css`)).text()).toContain('--accent: #0369a1;');

    const refused = await api.call('updateClient', { params: { id }, body: { branding_primary_color: 'rgb(0,0,0)' } });
    expect(refused.status).toBe(400);
    expect(JSON.stringify(refused.body)).toContain('branding_primary_color: must be a colour written #rrggbb');
    const badLogo = await api.call('updateClient', { params: { id }, body: { logo_uri: 'javascript:alert(1)' } });
    expect(badLogo.status).toBe(400);
    expect(JSON.stringify(badLogo.body)).toContain('logo_uri');
    expect((await api.call('getClient', { params: { id } })).body.branding_primary_color).toBe('#0369a1');
  });
});
