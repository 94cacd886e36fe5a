/**
 * Checks an EventBridge rule's schedule expression as EventBridge does, so that `cdk synth` fails
 * where `cdk deploy` would: `rate(value unit)` with a positive value and the unit singular for 1,
 * plural otherwise; `cron(…)` with six fields, one of day-of-month and day-of-week `?`.
 * Returns what is wrong, or undefined.
 */
export function scheduleProblem(expression: string): string | undefined {
  const rate = /^rate\((\S+) (\S+)\)$/.exec(expression);
  if (rate) return rateProblem(rate[1] ?? '', rate[2] ?? '');
  const cron = /^cron\((.*)\)$/.exec(expression);
  if (cron) return cronProblem(cron[1] ?? '');
  return 'must be rate(N minutes|hours|days) or cron(minutes hours day-of-month month day-of-week year)';
}

const UNITS = ['minute', 'hour', 'day'];

function rateProblem(value: string, unit: string): string | undefined {
  if (!/^\d+$/.test(value) || Number(value) < 1)
    return `rate(${value} ${unit}): the value must be a whole number above 0`;
  const n = Number(value);
  const singular = unit.replace(/s$/, '');
  if (!UNITS.includes(singular)) return `rate(${value} ${unit}): the unit must be minutes, hours or days`;
  const expected = n === 1 ? singular : `${singular}s`;
  if (unit !== expected) return `rate(${value} ${unit}): EventBridge wants rate(${value} ${expected})`;
  return undefined;
}

const CRON_FIELD = /^[0-9A-Za-z*?,/#-]+$/;

function cronProblem(body: string): string | undefined {
  const fields = body.trim().split(/\s+/);
  if (fields.length !== 6)
    return `cron(${body}): needs 6 fields (minutes hours day-of-month month day-of-week year), not ${fields.length}`;
  const bad = fields.find((f) => !CRON_FIELD.test(f));
  if (bad !== undefined) return `cron(${body}): "${bad}" is not a cron field`;
  const [, , dayOfMonth, , dayOfWeek] = fields;
  if ((dayOfMonth === '?') === (dayOfWeek === '?'))
    return `cron(${body}): exactly one of day-of-month and day-of-week must be ?`;
  return undefined;
}
