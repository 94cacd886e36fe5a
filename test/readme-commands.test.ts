import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, symlinkSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, join } from 'node:path';
import { resolveLayerBinary } from '../lib/adapters/binaries';
import { freePort } from '../lib/local/free-port';
import { useDynamoDbLocal } from './helpers/dynamodb';
import { tempDir } from './helpers/git';
import {
  type Background,
  type Ran,
  type ReadmeCommand,
  readmeCommands,
  runProcess,
  shellWords,
  startProcess,
} from './readme-shell';

/**
 * "Every command in the README is run by a test or by --once" (#8): every shell command of README.md
 * must be in COVERAGE, and is either run here (as written, placeholders substituted, against the
 * built CLI, the sandbox, DynamoDB Local and the Lambda layer's kubectl), run by another test file
 * (checked to be there and to do it), the same as a command run here, or given a reason.
 */
type Coverage =
  | { readonly run: string }
  | { readonly test: string; readonly evidence: readonly RegExp[] }
  | { readonly same: string }
  | { readonly reason: string };

const QUICK = 'quick start';
const PUSH = 'quick start: push to npm start';
const AUDIT = 'the audit trail';
const SANDBOX = 'the sandbox cluster';
const BENCH = 'benchmarks';
const GUIDE = 'deploy guide';
const NEEDS_AWS = 'needs an AWS account and credentials';

const COVERAGE: Record<string, Coverage> = {
  // Quick start
  'npm ci': {
    reason: 'installs the dependencies: the checkout this test runs in was made with it (CI: .ci/run)',
  },
  'npm start': { run: PUSH },
  'npm test': { reason: 'the whole suite, this file included: CI runs it (.ci/run)' },
  'npx plumbline --help': { run: QUICK },
  'npx plumbline': { same: 'npx plumbline --help' },
  'npm link': {
    reason:
      'installs into the global npm prefix; by hand with npm_config_prefix=DIR it makes DIR/bin/plumbline, a link to bin/plumbline.cjs, which runs every `plumbline` command here',
  },
  'plumbline local': {
    test: 'test/local/local-push.test.ts',
    evidence: [/main\(\['local', \.\.\.args\]/, /startLocal\(\['--interval', '600'\]\)/],
  },
  'npm start -- --once': {
    test: 'test/local/local-once.test.ts',
    evidence: [/runCli\(\['local', '--once'\]\)/],
  },
  'git clone <remote> /tmp/plumbline-config': { run: PUSH },
  "sed -i.bak 's/GREETING: .*/GREETING: hello from my push/' /tmp/plumbline-config/apps/hello/hello.yaml": {
    run: PUSH,
  },
  "git -C /tmp/plumbline-config commit -qam 'hello: a new greeting'": { run: PUSH },
  'git -C /tmp/plumbline-config push -q': { run: PUSH },
  "kubectl --kubeconfig <kubeconfig> get configmap hello-config -o jsonpath='{.data.GREETING}'": {
    run: PUSH,
  },
  'npx plumbline audit query --cluster local --table plumbline-audit --endpoint <endpoint>': { run: PUSH },
  'AWS_ACCESS_KEY_ID=local AWS_SECRET_ACCESS_KEY=local aws dynamodb query --endpoint-url <endpoint> --region us-east-1 --table-name plumbline-audit --key-condition-expression \'pk = :pk\' --expression-attribute-values \'{":pk":{"S":"CLUSTER#local"}}\' --no-scan-index-forward --max-items 1':
    { run: PUSH },
  'npx plumbline sandbox --kubeconfig /tmp/sandbox.kubeconfig': { run: QUICK },
  'npx plumbline diff examples/hello --app hello --kubeconfig /tmp/sandbox.kubeconfig': { run: QUICK },
  'npx plumbline sync examples/hello --app hello --kubeconfig /tmp/sandbox.kubeconfig --wait': { run: QUICK },
  'npx plumbline drift examples/hello --app hello --kubeconfig /tmp/sandbox.kubeconfig': { run: QUICK },
  // The command line
  'plumbline <command>': { reason: 'the pattern of the commands, not a command' },
  'aws eks get-token': { reason: 'named for comparison; needs an AWS account and an EKS cluster' },
  'kubectl kustomize --load-restrictor=LoadRestrictionsRootOnly': { run: SANDBOX },
  // Deploying to AWS
  'npx cdk bootstrap': { reason: 'needs an AWS account and credentials' },
  'aws eks describe-cluster --name <cluster> --query cluster.resourcesVpcConfig.clusterSecurityGroupId --output text':
    { reason: 'needs an AWS account and an EKS cluster' },
  'aws ec2 authorize-security-group-ingress --group-id <cluster security group> --protocol tcp --port 443 --source-group <sync security group>':
    {
      reason:
        'needs an AWS account and a VPC; test/infra/network.test.ts checks the rule clusterSecurityGroupIds makes instead',
    },
  'npx cdk synth': { test: 'test/infra/synth.test.ts', evidence: [/\['synth', '--quiet'/] },
  'npx cdk deploy Plumbline': {
    // What deploy would deploy, synthesized offline: the Plumbline stack of the example config.
    test: 'test/infra/synth.test.ts',
    evidence: [/\['synth', '--quiet'/, /Plumbline\.template\.json/],
  },
  'npx cdk deploy Plumbline-access-<cluster> --exclusively --profile <that account>': {
    test: 'test/readme-cdk.test.ts',
    evidence: [/'synth', `Plumbline-access-\$\{CLUSTER\}`, '--exclusively'/],
  },
  'aws secretsmanager get-secret-value --secret-id <WebhookSecretArn> --query SecretString --output text': {
    reason: 'reads the secret cdk deploy creates: needs an AWS account',
  },
  'plumbline audit query --cluster <name> --table <AuditTableName>': { run: AUDIT },
  // Deploying to AWS: the deploy guide
  'aws iam create-policy --policy-name plumbline-deployer --policy-document file://deployer-policy.json': {
    reason: `creates an IAM policy: ${NEEDS_AWS}`,
  },
  'aws iam attach-role-policy --role-name <your role> --policy-arn arn:aws:iam::<ACCOUNT>:policy/plumbline-deployer':
    { reason: `attaches an IAM policy: ${NEEDS_AWS}` },
  'aws eks create-access-entry --cluster-name prod --principal-arn arn:aws:iam::<ACCOUNT>:role/<your role> --region eu-west-1':
    {
      reason: `changes an EKS cluster: ${NEEDS_AWS} (doctor names the same command: test/cli/doctor.test.ts)`,
    },
  'aws eks associate-access-policy --cluster-name prod --principal-arn arn:aws:iam::<ACCOUNT>:role/<your role> --policy-arn arn:aws:eks::aws:cluster-access-policy/AmazonEKSViewPolicy --access-scope type=cluster --region eu-west-1':
    { reason: `changes an EKS cluster: ${NEEDS_AWS}` },
  'npx cdk bootstrap aws://<ACCOUNT>/eu-west-1': { reason: `deploys the CDK bootstrap stack: ${NEEDS_AWS}` },
  'npx cdk bootstrap aws://<CLUSTER_ACCOUNT>/<CLUSTER_REGION> --profile <that account>': {
    reason: `deploys the CDK bootstrap stack in a second account: ${NEEDS_AWS}`,
  },
  'aws secretsmanager create-secret --name plumbline-git-token --secret-string \'{"token":"<git token>"}\' --region eu-west-1':
    { reason: `creates a secret: ${NEEDS_AWS} (doctor names the same command: test/cli/doctor.test.ts)` },
  'aws secretsmanager create-secret --name plumbline/prod/db --secret-string \'{"password":"<value>"}\' --region eu-west-1':
    { reason: `creates a secret: ${NEEDS_AWS}` },
  'npx cdk synth --quiet': { test: 'test/infra/synth.test.ts', evidence: [/\['synth', '--quiet'/] },
  'npx plumbline doctor --config plumbline.config.json': { run: GUIDE },
  'npx cdk deploy --all': {
    // What deploy would deploy, synthesized offline: the main stack here, the access stacks in readme-cdk.
    test: 'test/infra/synth.test.ts',
    evidence: [/\['synth', '--quiet'/, /Plumbline\.template\.json/],
  },
  'aws sns list-subscriptions --query "Subscriptions[?Endpoint==\'<you@example.com>\'].SubscriptionArn" --output text --region eu-west-1':
    { reason: `lists the subscriptions of a deployed stack's alarm topic: ${NEEDS_AWS}` },
  "gh api repos/<owner>/<repo>/hooks -f name=web -f 'config[url]=<WebhookUrl with github>' -f 'config[content_type]=json' -f 'config[secret]=<webhook secret>' -f 'events[]=push'":
    { reason: 'creates a webhook on a GitHub repository: needs GitHub credentials and a deployed stack' },
  "curl --fail -X POST -H 'PRIVATE-TOKEN: <gitlab token>' 'https://gitlab.com/api/v4/projects/<project id>/hooks' --data-urlencode 'url=<WebhookUrl with gitlab>' --data-urlencode 'token=<webhook secret>' --data 'push_events=true'":
    { reason: 'creates a webhook on a GitLab project: needs GitLab credentials and a deployed stack' },
  'npx plumbline audit query --cluster prod --table <AuditTableName> --since 1h --region eu-west-1': {
    same: 'plumbline audit query --cluster <name> --table <AuditTableName>',
  },
  'npx cdk destroy --all': { reason: `deletes the deployed stacks: ${NEEDS_AWS}` },
  'aws dynamodb update-table --table-name <AuditTableName> --no-deletion-protection-enabled --region eu-west-1':
    {
      reason: `changes the deployed audit table: ${NEEDS_AWS}`,
    },
  'aws dynamodb delete-table --table-name <AuditTableName> --region eu-west-1': {
    reason: `deletes the deployed audit table: ${NEEDS_AWS}`,
  },
  // The audit trail
  'plumbline audit init --table plumbline-audit': { run: AUDIT },
  'plumbline audit query --cluster prod --app web --since 24h': { run: AUDIT },
  'plumbline audit keygen': { run: AUDIT },
  'plumbline audit checkpoint --cluster prod --checkpoints /tmp/audit-checkpoints': { run: AUDIT },
  'plumbline audit verify --cluster prod --checkpoints /tmp/audit-checkpoints': { run: AUDIT },
  'plumbline audit verify --cluster <name> --table <AuditTableName> --kms-key <AuditMacKeyArn> --checkpoints <AuditCheckpoints>':
    {
      // The deployment's KMS key and bucket, through aws-sdk-client-mock, with the CLI in-process.
      test: 'test/adapters/aws/audit-forgery.test.ts',
      evidence: [/'--kms-key', KEY/, /'--checkpoints', 's3:\/\/audit-checkpoints\/checkpoints'/],
    },
  'aws dynamodb query': { same: 'plumbline audit init --table plumbline-audit' },
  'aws dynamodb query --table-name plumbline-audit --key-condition-expression \'pk = :pk\' --expression-attribute-values \'{":pk":{"S":"CLUSTER#prod"}}\' --no-scan-index-forward --max-items 10':
    { run: AUDIT },
  'aws dynamodb query --table-name plumbline-audit --index-name byApp --key-condition-expression \'appKey = :a AND ts >= :t\' --expression-attribute-values \'{":a":{"S":"prod#web"},":t":{"S":"2026-11-01T00:00:00Z"}}\'':
    { run: AUDIT },
  // The sandbox cluster
  'plumbline sandbox': { same: 'npx plumbline sandbox --port 6443 --kubeconfig /tmp/sandbox.kubeconfig' },
  'npx plumbline sandbox --port 6443 --kubeconfig /tmp/sandbox.kubeconfig': { run: SANDBOX },
  'kubectl --kubeconfig /tmp/sandbox.kubeconfig apply --server-side -f examples/hello': { run: SANDBOX },
  'kubectl --kubeconfig /tmp/sandbox.kubeconfig get deployments -A': { run: SANDBOX },
  'npx plumbline sandbox --kubeconfig /tmp/sandbox.kubeconfig --access-kubeconfig /tmp/edit.kubeconfig --access-policy edit --access-namespaces shop':
    {
      // The CLI in-process, then the real kubectl with the access kubeconfig it wrote.
      test: 'test/sync/access-preflight.test.ts',
      evidence: [
        /'--access-kubeconfig',\s*access,\s*'--access-policy',\s*'edit',\s*'--access-namespaces',\s*'shop'/,
      ],
    },
  'kubectl --kubeconfig /tmp/edit.kubeconfig auth can-i create roles.rbac.authorization.k8s.io -n shop': {
    test: 'test/sync/access-preflight.test.ts',
    evidence: [
      /makeKubectl\(access\)/,
      /'auth', 'can-i', 'create', 'roles\.rbac\.authorization\.k8s\.io', '-n', 'shop'/,
    ],
  },
  'kubectl apply': { run: SANDBOX },
  'kubectl explain': { run: SANDBOX },
  'kubectl get': { run: SANDBOX },
  // Troubleshooting
  'plumbline eks token --cluster NAME --role-arn ARN': {
    reason:
      'assumes the role through STS: needs an AWS account (token and role assumption: test/adapters/aws/eks-access.test.ts, with aws-sdk-client-mock)',
  },
  // Benchmarks and development
  'npm run bench -- NAME…': { run: BENCH },
  'kubectl apply --server-side': {
    same: 'kubectl --kubeconfig /tmp/sandbox.kubeconfig apply --server-side -f examples/hello',
  },
  'npx jest test/readme-commands.test.ts': { reason: 'this test file itself' },
  'npm run test:node22': {
    reason: 'the whole suite again on Node.js 22: CI runs it after npm test (.ci/run)',
  },
  'npm run format': { reason: 'rewrites files in place; npm test runs its check-only form (biome check)' },
  'npm run bench -- sync git': {
    reason:
      'takes minutes (1,000-object syncs, a 2,000-file repository); the same runner runs above with webhooks',
  },
  // Remote charts (#15): run against a real docker-registry and chart repository, not ghcr.io.
  'plumbline chart lock --app podinfo --chart-repositories oci://ghcr.io/stefanprodan/charts': {
    test: 'test/cli/remote-charts-sync.test.ts',
    evidence: [/'chart',\s*'lock',\s*'--app',/, /'--chart-repositories',\s*allow,/],
  },
  'plumbline sync --repo https://github.com/acme/platform-config.git --app podinfo --kubeconfig ~/.kube/config --chart-repositories oci://ghcr.io/stefanprodan/charts':
    {
      test: 'test/cli/remote-charts-sync.test.ts',
      evidence: [/'sync',\s*'--repo',\s*url,\s*'--app',\s*app,/, /'--chart-repositories',\s*allow,/],
    },
};

const ROOT = join(__dirname, '..');
const COMMANDS = readmeCommands(readFileSync(join(ROOT, 'README.md'), 'utf8'));
const ran = new Set<string>();

function onPath(name: string): boolean {
  return (process.env.PATH ?? '').split(delimiter).some((d) => d !== '' && existsSync(join(d, name)));
}
const HAS_AWS = onPath('aws');

/**
 * A copy of the checkout's layout made of links (bin/ copied: it finds the bundle next to itself), so
 * that builds, benchmark results and .plumbline/ land in a temporary folder, not in the checkout.
 */
function mirrorCheckout(): string {
  const dir = tempDir('readme');
  for (const name of ['lib', 'functions', 'infra', 'examples', 'scripts', 'node_modules', 'tsconfig.json'])
    symlinkSync(join(ROOT, name), join(dir, name));
  copyFileSync(join(ROOT, 'package.json'), join(dir, 'package.json'));
  mkdirSync(join(dir, 'bin'));
  copyFileSync(join(ROOT, 'bin', 'plumbline.cjs'), join(dir, 'bin', 'plumbline.cjs'));
  mkdirSync(join(dir, 'bench'));
  for (const file of readdirSync(join(ROOT, 'bench')).filter((f) => f.endsWith('.ts')))
    symlinkSync(join(ROOT, 'bench', file), join(dir, 'bench', file));
  return dir;
}

const CACHE =
  process.env.PLUMBLINE_CACHE_DIR ||
  (process.env.XDG_CACHE_HOME
    ? join(process.env.XDG_CACHE_HOME, 'plumbline')
    : join(homedir(), '.cache', 'plumbline'));

/** No AWS or kube settings of this machine; a private HOME; git with an identity and no user config. */
function childEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env))
    if (!k.startsWith('AWS_') && !k.startsWith('npm_') && k !== 'KUBECONFIG') env[k] = v;
  return {
    ...env,
    HOME: home,
    PLUMBLINE_CACHE_DIR: CACHE,
    AWS_EC2_METADATA_DISABLED: 'true',
    npm_config_update_notifier: 'false',
    npm_config_fund: 'false',
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_CONFIG_GLOBAL: '/dev/null',
    GIT_TERMINAL_PROMPT: '0',
    GIT_AUTHOR_NAME: 'New User',
    GIT_AUTHOR_EMAIL: 'new.user@example.com',
    GIT_COMMITTER_NAME: 'New User',
    GIT_COMMITTER_EMAIL: 'new.user@example.com',
    ...extra,
  };
}

let mirror = '';
let home = '';

/** The README command as it is run: placeholders substituted, `plumbline` the built CLI, kubectl the layer's. */
function argvOf(text: string, subst: Record<string, string>, extra: readonly string[]) {
  let line = text;
  for (const [from, to] of Object.entries(subst)) line = line.split(from).join(to);
  const words = shellWords(line);
  const env: Record<string, string> = {};
  while (/^[A-Z_][A-Z0-9_]*=/.test(words[0] ?? '')) {
    const [assignment] = words.splice(0, 1);
    const eq = assignment!.indexOf('=');
    env[assignment!.slice(0, eq)] = assignment!.slice(eq + 1);
  }
  if (words[0] === 'npx' && words[1] === 'plumbline') words.splice(0, 2, 'plumbline');
  if (words[0] === 'plumbline') words.splice(0, 1, process.execPath, join(mirror, 'bin', 'plumbline.cjs'));
  else if (words[0] === 'kubectl') words.splice(0, 1, resolveLayerBinary('kubectl'));
  return { argv: [...words, ...extra], env };
}

function command(text: string, run: string): ReadmeCommand {
  const found = COMMANDS.find((c) => c.text === text);
  if (!found) throw new Error(`not a README command: ${text}`);
  const coverage = COVERAGE[text];
  if (!coverage || !('run' in coverage) || coverage.run !== run)
    throw new Error(`COVERAGE does not map "${text}" to a run in "${run}"`);
  ran.add(text);
  return found;
}

interface Options {
  readonly subst?: Record<string, string>;
  readonly env?: Record<string, string>;
  /** Words appended, for inline commands that name a command without its arguments. */
  readonly extra?: readonly string[];
}

/** Runs a README command to its end. */
async function sh(run: string, text: string, options: Options = {}): Promise<Ran> {
  command(text, run);
  const { argv, env } = argvOf(text, options.subst ?? {}, options.extra ?? []);
  return runProcess(argv, { cwd: mirror, env: childEnv({ ...options.env, ...env }) });
}

/** Starts a README command that runs until interrupted. */
function background(run: string, text: string, options: Options = {}): Background {
  command(text, run);
  const { argv, env } = argvOf(text, options.subst ?? {}, options.extra ?? []);
  return startProcess(argv, { cwd: mirror, env: childEnv({ ...options.env, ...env }) });
}

let benchRun: Promise<Ran> | undefined;
// Before DynamoDB Local's start (the next beforeAll), so that the build runs while java starts.
beforeAll(() => {
  mirror = mirrorCheckout();
  home = tempDir('readme-home');
  // The first command: `npm run bench` builds dist/ in the mirror, which every `plumbline` command runs.
  benchRun = sh(BENCH, 'npm run bench -- NAME…', { subst: { 'NAME…': 'webhooks' } });
});
const dynamo = useDynamoDbLocal();

/** npm start, from its start (after the benchmark's build, as both build dist/) to its Ctrl-C in the last flow. */
let start: Background | undefined;
afterAll(() => start?.interrupt());

describe('README commands', () => {
  it('finds the commands of the sh blocks and of the prose', () => {
    const texts = COMMANDS.map((c) => c.text);
    expect(texts).toEqual(
      expect.arrayContaining(['npm ci', 'npm start', 'npx plumbline --help', 'npx cdk synth']),
    );
    // A continued line is one command; an `a && b` chain is two.
    expect(
      texts.some((t) => t.startsWith('aws dynamodb query --table-name plumbline-audit --key-condition')),
    ).toBe(true);
    expect(texts).not.toContain('npm ci && npm start');
  });

  it('maps every command to a run here, a test file, the same command or a reason', () => {
    const uncovered = COMMANDS.filter((c) => !COVERAGE[c.text]).map((c) => `${c.where}: ${c.text}`);
    expect(uncovered).toEqual([]);
    const stale = Object.keys(COVERAGE).filter((text) => !COMMANDS.some((c) => c.text === text));
    expect(stale).toEqual([]);
  });

  it('maps to test files that exist and run the command, and to commands that are run here', () => {
    for (const [text, coverage] of Object.entries(COVERAGE)) {
      if ('test' in coverage) {
        const source = readFileSync(join(ROOT, coverage.test), 'utf8');
        for (const evidence of coverage.evidence)
          expect({ text, ok: evidence.test(source) }).toEqual({ text, ok: true });
      } else if ('same' in coverage) {
        const target = COVERAGE[coverage.same];
        expect({ text, same: target !== undefined && 'run' in target }).toEqual({ text, same: true });
      } else if ('reason' in coverage) expect(coverage.reason.length).toBeGreaterThan(20);
    }
  });

  it(`${BENCH}: npm run bench builds the CLI and the benchmarks and writes bench/results/NAME.json`, async () => {
    const bench = await benchRun!;
    expect(bench.code).toBe(0);
    expect(bench.stdout).toMatch(/"benchmark": "webhooks"/);
    expect(JSON.parse(readFileSync(join(mirror, 'bench', 'results', 'webhooks.json'), 'utf8'))).toMatchObject(
      {
        benchmark: 'webhooks',
        meetsTarget: true,
      },
    );
  });

  it(`${PUSH}: npm start builds the CLI, starts every part and prints what a user needs`, async () => {
    // A long schedule: what syncs the push below is its webhook, and the audit trail holds nothing else.
    start = background(PUSH, 'npm start', { extra: ['--', '--interval', '600'] });
    // Its build is done once it prints: the flows below run the CLI while its first syncs run.
    await start.waitFor(/^written to: +\.plumbline\/local\.json$/m, 0, 60_000);
    expect(start.output()).toMatch(/^webhook secret: +[0-9a-f]{48}$/m);
    expect(start.output()).toMatch(/^try: +git clone http:\/\/127\.0\.0\.1:\d+\/config\.git \S+/m);
    expect(JSON.parse(readFileSync(join(mirror, '.plumbline', 'local.json'), 'utf8'))).toMatchObject({
      cluster: 'local',
      auditTable: 'plumbline-audit',
    });
  });

  let sandbox: Background | undefined;
  const quickKubeconfig = () => join(home, 'sandbox.kubeconfig');
  afterAll(() => sandbox?.interrupt());

  it(`${QUICK}: the command line, and diff, sync and drift against the sandbox`, async () => {
    const help = await sh(QUICK, 'npx plumbline --help');
    expect(help).toMatchObject({ code: 0, stderr: '' });
    expect(help.stdout).toMatch(/^Usage: plumbline <command>/m);

    const subst = { '/tmp/sandbox.kubeconfig': quickKubeconfig() };
    sandbox = background(QUICK, 'npx plumbline sandbox --kubeconfig /tmp/sandbox.kubeconfig', { subst });
    await sandbox.waitFor(/^kubeconfig: +(\S+)$/m);
    const diff = await sh(
      QUICK,
      'npx plumbline diff examples/hello --app hello --kubeconfig /tmp/sandbox.kubeconfig',
      {
        subst,
      },
    );
    // "# exit 1: 3 to create"
    expect(diff.code).toBe(1);
    expect(diff.stdout).toMatch(/^app hello: 3 object\(s\) would change$/m);
    expect(diff.stdout.match(/^create /gm)).toHaveLength(3);
    const sync = await sh(
      QUICK,
      'npx plumbline sync examples/hello --app hello --kubeconfig /tmp/sandbox.kubeconfig --wait',
      { subst },
    );
    expect(sync.code).toBe(0);
    expect(sync.stdout).toMatch(/^app hello: 3 created, 0 configured, 0 unchanged/m);
    // "# exit 0: no drift"
    const drift = await sh(
      QUICK,
      'npx plumbline drift examples/hello --app hello --kubeconfig /tmp/sandbox.kubeconfig',
      {
        subst,
      },
    );
    expect(drift).toMatchObject({ code: 0, stderr: '' });
    expect(drift.stdout).toMatch(/^app hello: 0 drifted, 0 orphan\(s\)$/m);
  });

  it(`${AUDIT}: init, query and verify the chain, with plumbline and with aws dynamodb query`, async () => {
    // The commands name no endpoint, as in AWS: the SDKs and the AWS CLI take it from the environment.
    const env = {
      AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint(),
      AWS_REGION: 'eu-west-1',
      AWS_DEFAULT_REGION: 'eu-west-1',
      AWS_ACCESS_KEY_ID: 'local',
      AWS_SECRET_ACCESS_KEY: 'local',
    };
    const init = await sh(AUDIT, 'plumbline audit init --table plumbline-audit', { env });
    expect(init).toMatchObject({ code: 0, stdout: 'audit table plumbline-audit created\n' });
    // The key file the sync below MACs its record with, and verify checks it by (in this test's HOME).
    const keygen = await sh(AUDIT, 'plumbline audit keygen', { env });
    expect(keygen.stdout).toMatch(/^audit key written to \S+\/\.plumbline\/audit-key\.json \(mode 0600\)/);
    // A record to find: app web of cluster prod, synced to the sandbox of the quick start.
    const seed = await runProcess(
      [
        process.execPath,
        join(mirror, 'bin', 'plumbline.cjs'),
        ...['sync', 'examples/hello', '--app', 'web', '--cluster', 'prod', '--namespace', 'kube-public'],
        ...['--kubeconfig', quickKubeconfig(), '--audit-table', 'plumbline-audit'],
      ],
      { cwd: mirror, env: childEnv(env) },
    );
    expect(seed.stdout).toMatch(/audit record 1 appended to the chain of cluster prod/);
    expect(await sandbox?.interrupt()).toBe(0);

    const query = await sh(AUDIT, 'plumbline audit query --cluster prod --app web --since 24h', { env });
    expect(query.code).toBe(0);
    expect(query.stdout).toMatch(/^SEQ +TIME +APP/m);
    expect(query.stdout).toMatch(/^1 +\S+ \S+ +web +/m);
    const deployed = await sh(AUDIT, 'plumbline audit query --cluster <name> --table <AuditTableName>', {
      env,
      subst: { '<name>': 'prod', '<AuditTableName>': 'plumbline-audit' },
    });
    expect(deployed.stdout).toMatch(/^1 +\S+ \S+ +web +/m);
    const checkpoints = { '/tmp/audit-checkpoints': join(home, 'audit-checkpoints') };
    const checkpoint = await sh(
      AUDIT,
      'plumbline audit checkpoint --cluster prod --checkpoints /tmp/audit-checkpoints',
      {
        env,
        subst: checkpoints,
      },
    );
    expect(checkpoint.stdout).toMatch(/^checkpoint of cluster prod at seq 1 written to /);
    const verify = await sh(
      AUDIT,
      'plumbline audit verify --cluster prod --checkpoints /tmp/audit-checkpoints',
      {
        env,
        subst: checkpoints,
      },
    );
    expect(verify).toMatchObject({ code: 0 });
    expect(verify.stdout).toMatch(/^chain of cluster prod verified: 1 records, head seq 1 /);
    expect(verify.stdout).toMatch(/^checkpoints: 1 in \S+, the newest at seq 1 /m);

    if (!HAS_AWS) return;
    const byCluster = await sh(
      AUDIT,
      'aws dynamodb query --table-name plumbline-audit --key-condition-expression \'pk = :pk\' --expression-attribute-values \'{":pk":{"S":"CLUSTER#prod"}}\' --no-scan-index-forward --max-items 10',
      { env },
    );
    expect(byCluster.code).toBe(0);
    const items = (JSON.parse(byCluster.stdout) as { Items: Array<Record<string, { S?: string }>> }).Items;
    expect(items.map((i) => [i.sk?.S, i.app?.S])).toEqual([['SEQ#000000000001', 'web']]);
    const byApp = await sh(
      AUDIT,
      'aws dynamodb query --table-name plumbline-audit --index-name byApp --key-condition-expression \'appKey = :a AND ts >= :t\' --expression-attribute-values \'{":a":{"S":"prod#web"},":t":{"S":"2026-11-01T00:00:00Z"}}\'',
      { env },
    );
    expect(byApp.code).toBe(0);
    expect((JSON.parse(byApp.stdout) as { Items: unknown[] }).Items).toHaveLength(1);
  });

  it(`${SANDBOX}: kubectl against the sandbox with no extra flags`, async () => {
    const port = await freePort();
    const kubeconfig = join(home, 'sandbox-port.kubeconfig');
    const subst = { '6443': String(port), '/tmp/sandbox.kubeconfig': kubeconfig };
    const server = background(
      SANDBOX,
      'npx plumbline sandbox --port 6443 --kubeconfig /tmp/sandbox.kubeconfig',
      {
        subst,
      },
    );
    try {
      // The two lines the README shows under it.
      await server.waitFor(new RegExp(`^sandbox API server: https://127\\.0\\.0\\.1:${port}$`, 'm'));
      await server.waitFor(new RegExp(`^kubeconfig: +${kubeconfig}$`, 'm'));
      await server.waitFor(new RegExp(`^try: +kubectl --kubeconfig ${kubeconfig} get namespaces$`, 'm'));
      const apply = await sh(
        SANDBOX,
        'kubectl --kubeconfig /tmp/sandbox.kubeconfig apply --server-side -f examples/hello',
        { subst },
      );
      expect({ code: apply.code, stderr: apply.stderr }).toEqual({ code: 0, stderr: '' });
      expect(apply.stdout).toMatch(/^deployment\.apps\/hello serverside-applied$/m);
      const get = await sh(SANDBOX, 'kubectl --kubeconfig /tmp/sandbox.kubeconfig get deployments -A', {
        subst,
      });
      expect(get.code).toBe(0);
      expect(get.stdout).toMatch(/^default +hello\b/m);
      // "kubectl get prints client-side columns": no server-side Table, so no READY or UP-TO-DATE.
      const columns = await sh(SANDBOX, 'kubectl get', {
        extra: ['--kubeconfig', kubeconfig, 'deployments'],
      });
      expect(columns.stdout.split('\n')[0]?.trim().split(/\s+/)).toEqual(['NAME', 'AGE']);
      // "kubectl apply (client- or server-side) ... needs no extra flags".
      const client = await sh(SANDBOX, 'kubectl apply', {
        extra: ['--kubeconfig', kubeconfig, '-f', 'examples/hello'],
      });
      expect(client.code).toBe(0);
      expect(client.stdout).toMatch(/^configmap\/hello-config (configured|unchanged)$/m);
      // "/openapi/v2 is 404, so kubectl explain does not work".
      const explain = await sh(SANDBOX, 'kubectl explain', {
        extra: ['--kubeconfig', kubeconfig, 'deployments'],
      });
      expect(explain.code).not.toBe(0);
      // How kustomize apps are rendered.
      const kustomize = await sh(SANDBOX, 'kubectl kustomize --load-restrictor=LoadRestrictionsRootOnly', {
        extra: ['examples/config-repo/apps/web/overlays/staging'],
      });
      expect(kustomize.code).toBe(0);
      expect(kustomize.stdout).toMatch(/^ {2}name: staging-web$/m);
    } finally {
      expect(await server.interrupt()).toBe(0);
    }
  });

  it(`${PUSH}: a push to the printed remote is synced at once and audited`, async () => {
    if (!start) throw new Error('npm start did not start');
    let dynamoPort = '';
    try {
      const remote = (await start.waitFor(/^git remote: +(\S+)/m))[1]!;
      const kubeconfig = (await start.waitFor(/^kubeconfig: +(\S+)$/m))[1]!;
      const endpoint = (
        await start.waitFor(/^audit table: +plumbline-audit at (\S+) \(cluster local\)$/m)
      )[1]!;
      dynamoPort = new URL(endpoint).port;
      await start.waitFor(/^sync local\/widgets@\w+ schedule: synced/m);
      const clone = join(tempDir('readme-clone'), 'plumbline-config');
      const subst = {
        '<remote>': remote,
        '<kubeconfig>': kubeconfig,
        '<endpoint>': endpoint,
        '/tmp/plumbline-config': clone,
      };
      expect(await sh(PUSH, 'git clone <remote> /tmp/plumbline-config', { subst })).toMatchObject({
        code: 0,
      });
      const edit = await sh(
        PUSH,
        "sed -i.bak 's/GREETING: .*/GREETING: hello from my push/' /tmp/plumbline-config/apps/hello/hello.yaml",
        { subst },
      );
      expect(edit.code).toBe(0);
      expect(
        await sh(PUSH, "git -C /tmp/plumbline-config commit -qam 'hello: a new greeting'", { subst }),
      ).toMatchObject({ code: 0 });
      const mark = start.output().length;
      expect(await sh(PUSH, 'git -C /tmp/plumbline-config push -q', { subst })).toMatchObject({ code: 0 });
      // "npm start prints the webhook delivery, then sync local/hello@… webhook: synced".
      await start.waitFor(
        /^push refs\/heads\/main \S+ \(1 commit\): signed webhook \S+ delivered, HTTP 202$/m,
        mark,
        5000,
      );
      await start.waitFor(/^sync local\/hello@\w+ webhook: synced/m, mark, 5000);

      const live = await sh(
        PUSH,
        "kubectl --kubeconfig <kubeconfig> get configmap hello-config -o jsonpath='{.data.GREETING}'",
        { subst },
      );
      expect(live).toMatchObject({ code: 0, stdout: 'hello from my push' });
      const audit = await sh(
        PUSH,
        'npx plumbline audit query --cluster local --table plumbline-audit --endpoint <endpoint>',
        { subst },
      );
      expect(audit.code).toBe(0);
      // "the webhook sync on top"
      expect(audit.stdout.split('\n')[1]).toMatch(
        /^7 +\S+ \S+ +hello +\w{12} +webhook +succeeded +1 configured$/,
      );
      if (HAS_AWS) {
        const aws = await sh(
          PUSH,
          'AWS_ACCESS_KEY_ID=local AWS_SECRET_ACCESS_KEY=local aws dynamodb query --endpoint-url <endpoint> --region us-east-1 --table-name plumbline-audit --key-condition-expression \'pk = :pk\' --expression-attribute-values \'{":pk":{"S":"CLUSTER#local"}}\' --no-scan-index-forward --max-items 1',
          { subst },
        );
        expect(aws.code).toBe(0);
        const [item] = (JSON.parse(aws.stdout) as { Items: Array<Record<string, { S?: string }>> }).Items;
        expect([item?.app?.S, item?.trigger?.S]).toEqual(['hello', 'webhook']);
      }
    } finally {
      // Ctrl-C: every part stops, DynamoDB Local's java process included.
      expect([0, 'SIGINT']).toContain(await start.interrupt());
      expect(start.output()).toMatch(/^stopping…$/m);
    }
    // Nothing left: no process of npm start's group, no DynamoDB Local (java runs in a group of its own).
    const pid = String(start.child.pid);
    const left = execFileSync('ps', ['-eo', 'pid,pgid,args'], { encoding: 'utf8' })
      .split('\n')
      .filter((line) => line.trim().split(/\s+/)[1] === pid || line.includes(`-port ${dynamoPort}`));
    expect(left).toEqual([]);
  });

  it(`${GUIDE}: plumbline doctor from the built CLI, without AWS credentials, names the fix`, async () => {
    await benchRun; // its build makes the mirror's dist/
    // The example config, from the checkout; no env in it, so the region comes from AWS_REGION.
    const doctor = await sh(GUIDE, 'npx plumbline doctor --config plumbline.config.json', {
      subst: { 'plumbline.config.json': join(ROOT, 'plumbline.config.json') },
      env: { AWS_REGION: 'eu-west-1' },
    });
    expect({ code: doctor.code, stderr: doctor.stderr }).toEqual({ code: 1, stderr: '' });
    expect(doctor.stdout).toMatch(/^✗ AWS credentials: .+\n {4}fix: aws configure, or pass --profile\n/);
    expect(doctor.stdout).toMatch(/\n0 ✓, 1 ✗, 0 not checked\n$/);
  });

  it('ran every command mapped to a run', () => {
    const expected = Object.entries(COVERAGE)
      .filter(([text, c]) => 'run' in c && (HAS_AWS || !/^(\S+=\S+ )*aws /.test(text)))
      .map(([text]) => text);
    expect(expected.filter((text) => !ran.has(text))).toEqual([]);
  });
});
