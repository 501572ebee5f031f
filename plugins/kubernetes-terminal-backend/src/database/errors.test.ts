import { TestDatabases } from '@backstage/backend-test-utils';
import { describeStorageError } from './errors';

jest.setTimeout(60_000);

describe('describeStorageError', () => {
  const databases = TestDatabases.create({ ids: ['POSTGRES_15', 'SQLITE_3'] });

  it.each(databases.eachSupportedId())(
    'keeps the values of a failed statement out of the message on %s',
    async id => {
      const knex = await databases.init(id);
      await knex.schema.createTable('t', table => {
        table.string('id').primary();
        table.binary('data');
      });
      const secret = Buffer.from('password=hunter2-visible-on-screen');
      await knex('t').insert({ id: 'a', data: secret });
      const error = await knex('t')
        .insert({ id: 'a', data: secret })
        .then(
          () => undefined,
          e => e,
        );
      expect(typeof error?.message).toBe('string');
      const described = describeStorageError(error);
      expect(described).toMatch(/unique|duplicate/i);
      expect(described).not.toContain('hunter2');
      expect(described).not.toContain(secret.toString('hex'));
      expect(described).not.toMatch(/insert into/i);
    },
  );

  it('leaves the statement out of an error that is no Error, too', () => {
    const described = describeStorageError(
      "SqliteError: insert into `t` (`data`) select X'68756e74657232' as `data` - UNIQUE constraint failed: t.id",
    );
    expect(described).toBe('UNIQUE constraint failed: t.id');
  });

  it('passes other errors through, shortened', () => {
    expect(describeStorageError(new Error('ENOSPC: no space left'))).toBe(
      'ENOSPC: no space left',
    );
    expect(
      describeStorageError(
        Object.assign(new Error('disk full'), { code: 'ENOSPC' }),
      ),
    ).toBe('disk full (ENOSPC)');
    expect(describeStorageError('x'.repeat(500))).toHaveLength(301);
  });
});
