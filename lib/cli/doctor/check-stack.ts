import { awsCli, type DoctorContext } from './context';
import { type DoctorRow, fail, ok, skip } from './rows';

/** The outputs the deploy guide and doctor itself rely on. */
export const REQUIRED_OUTPUTS = ['WebhookUrl', 'WebhookSecretArn', 'AuditTableName', 'SyncRoleArn'] as const;

export const DEPLOY = 'npx cdk deploy --all';

/** The main stack's state and outputs; before `cdk deploy`, one – row. */
export function stackRows(ctx: DoctorContext): DoctorRow[] {
  const name = ctx.config.stackName;
  const check = `stack ${name} (${ctx.region})`;
  const { stack } = ctx;
  if (!stack) return [skip(check, 'not yet deployed', DEPLOY)];
  const events = awsCli(
    ctx,
    `cloudformation describe-stack-events --stack-name ${name} --max-items 20`,
    ctx.region,
  );
  const rows: DoctorRow[] = [];
  if (stack.status === 'CREATE_COMPLETE' || stack.status === 'UPDATE_COMPLETE') {
    rows.push(ok(check, stack.status));
  } else if (stack.status.endsWith('_IN_PROGRESS')) {
    rows.push(fail(check, `${stack.status}: a deployment is running`, `wait for it, then run doctor again`));
  } else if (stack.status === 'ROLLBACK_COMPLETE' || stack.status.endsWith('_FAILED')) {
    rows.push(
      fail(
        check,
        `${stack.status}: the stack cannot be used; see why with ${events}`,
        `${awsCli(ctx, `cloudformation delete-stack --stack-name ${name}`, ctx.region)} && ${DEPLOY}`,
      ),
    );
  } else {
    rows.push(
      fail(check, `${stack.status}: the last deployment did not complete`, `${events}, then ${DEPLOY}`),
    );
  }
  const missing = REQUIRED_OUTPUTS.filter((key) => !stack.outputs[key]);
  rows.push(
    missing.length === 0
      ? ok(`stack ${name}: outputs`, `webhook URL ${stack.outputs.WebhookUrl}`)
      : fail(`stack ${name}: outputs`, `missing ${missing.join(', ')}`, DEPLOY),
  );
  return rows;
}
