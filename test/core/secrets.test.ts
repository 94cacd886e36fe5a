import type { KubeObject } from '../../lib/core/manifests';
import { resolveSecrets, type SecretStore } from '../../lib/core/secrets';

const store = (secrets: Record<string, unknown>): SecretStore & { calls: string[][] } => {
  const calls: string[][] = [];
  return {
    calls,
    getSecretStrings: async (names) => {
      calls.push([...names]);
      const out = new Map<string, string>();
      for (const n of names)
        if (n in secrets)
          out.set(n, typeof secrets[n] === 'string' ? (secrets[n] as string) : JSON.stringify(secrets[n]));
      return out;
    },
  };
};

const secret = (extra: Partial<KubeObject>): KubeObject =>
  ({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'db', namespace: 'shop' }, ...extra }) as KubeObject;
const prefix = 'plumbline/prod/';

describe('resolveSecrets', () => {
  it('substitutes whole and embedded placeholders in stringData, and base64-encodes them in data', async () => {
    const s = store({ 'plumbline/prod/db': { user: 'app', password: 'pa55-w0rd!' } });
    const out = await resolveSecrets(
      [
        secret({
          stringData: {
            url: 'postgres://${secretsmanager:plumbline/prod/db#user}:${secretsmanager:plumbline/prod/db#password}@db',
          },
          data: { pw: '${secretsmanager:plumbline/prod/db#password}' },
        }),
      ],
      s,
      { prefix },
    );
    expect(out.objects[0]).toMatchObject({
      stringData: { url: 'postgres://app:pa55-w0rd!@db' },
      data: { pw: Buffer.from('pa55-w0rd!').toString('base64') },
    });
    expect(out.values).toEqual(expect.arrayContaining(['app', 'pa55-w0rd!']));
    expect(s.calls).toEqual([['plumbline/prod/db']]);
  });

  it('fills stringData with every key of the annotated secret', async () => {
    const out = await resolveSecrets(
      [
        secret({
          metadata: { name: 'db', annotations: { 'plumbline.dev/secretsmanager': 'plumbline/prod/db' } },
        }),
      ],
      store({ 'plumbline/prod/db': { a: '1', b: '2' } }),
      { prefix },
    );
    expect(out.objects[0]?.stringData).toEqual({ a: '1', b: '2' });
  });

  it('fetches every secret of every Secret in one batch', async () => {
    const s = store({ 'plumbline/prod/a': { k: 'v1' }, 'plumbline/prod/b': { k: 'v2' } });
    await resolveSecrets(
      [
        secret({ stringData: { x: '${secretsmanager:plumbline/prod/a#k}' } }),
        secret({ metadata: { name: 'other' }, stringData: { y: '${secretsmanager:plumbline/prod/b#k}' } }),
      ],
      s,
      { prefix },
    );
    expect(s.calls).toEqual([['plumbline/prod/a', 'plumbline/prod/b']]);
  });

  it('refuses a name outside the prefix before asking the store', async () => {
    const s = store({});
    await expect(
      resolveSecrets([secret({ stringData: { x: '${secretsmanager:other-team/db#pw}' } })], s, { prefix }),
    ).rejects.toThrow(
      'Secret/shop/db: secret "other-team/db" is outside the allowed prefix "plumbline/prod/"',
    );
    expect(s.calls).toEqual([]);
  });

  it('refuses a placeholder outside a Secret', async () => {
    const cm = {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'cfg', namespace: 'shop' },
      data: { x: '${secretsmanager:plumbline/prod/db#pw}' },
    } as KubeObject;
    await expect(resolveSecrets([cm], store({}), { prefix })).rejects.toThrow(
      'ConfigMap/shop/cfg: a ${secretsmanager:…} placeholder at .data.x',
    );
  });

  it('refuses a missing secret or key without quoting any value', async () => {
    await expect(
      resolveSecrets([secret({ stringData: { x: '${secretsmanager:plumbline/prod/nope#k}' } })], store({}), {
        prefix,
      }),
    ).rejects.toThrow('Secret/shop/db: secret "plumbline/prod/nope" does not exist or cannot be read');
    const err = await resolveSecrets(
      [secret({ stringData: { x: '${secretsmanager:plumbline/prod/db#nokey}' } })],
      store({ 'plumbline/prod/db': { pw: 'hunter22' } }),
      { prefix },
    ).catch((e: unknown) => e);
    expect((err as Error).message).toBe('Secret/shop/db: secret "plumbline/prod/db" has no key "nokey"');
    expect((err as Error).message).not.toContain('hunter22');
  });
});
