import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { type ILayerVersion, LayerVersion } from 'aws-cdk-lib/aws-lambda';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { Construct } from 'constructs';
import type { PlumblineProps } from '../../infra/config';
import { PlumblineStack } from '../../infra/plumbline-stack';

export const ROOT = join(__dirname, '..', '..');

export const PROPS: PlumblineProps = {
  repositories: [
    {
      url: 'https://github.com/acme/platform-config.git',
      branch: 'main',
      provider: 'github',
      credentialsSecretName: 'plumbline/git/platform-config',
    },
  ],
  clusters: [
    { name: 'prod', region: 'eu-west-1', allowedNamespaces: ['apps', 'monitoring'], clusterScoped: false },
    { name: 'platform', region: 'eu-west-1', allowedNamespaces: ['infra'], clusterScoped: true },
  ],
  schedule: 'rate(15 minutes)',
  alarmEmail: 'oncall@example.com',
};

/**
 * A synthesized stack without bundling: `aws:cdk:bundling-stacks` = [] makes NodejsFunction use a
 * placeholder asset, so a synth takes a second instead of three esbuild runs (real bundling is
 * tested once, by `cdk synth`).
 */
export function synth(
  props: PlumblineProps = PROPS,
  options: { env?: { account: string; region: string } | 'agnostic'; realLayer?: boolean } = {},
) {
  // The builtin CloudFormation schema validation takes seconds per synth; `cdk synth` (synth.test.ts) runs it.
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] }, builtinCloudFormationValidation: false });
  const env =
    options.env === 'agnostic'
      ? undefined
      : (options.env ?? { account: '111111111111', region: 'eu-west-1' });
  const stack = new PlumblineStack(app, 'Plumbline', {
    env,
    plumbline: props,
    projectRoot: ROOT,
    kubectlLayer: options.realLayer ? undefined : fakeLayer,
  });
  return { app, stack, template: Template.fromStack(stack) };
}

export function fakeLayer(scope: Construct): ILayerVersion {
  return LayerVersion.fromLayerVersionArn(scope, 'KubectlLayer', KUBECTL_LAYER_ARN);
}

export const KUBECTL_LAYER_ARN = 'arn:aws:lambda:eu-west-1:111111111111:layer:kubectl:1';

/** cdk-nag's AwsSolutions findings that are not acknowledged, one line each. */
export function nagFindings(scope: App | PlumblineStack | import('constructs').IConstruct): string[] {
  const report = new AwsSolutionsChecks().validateScope(scope);
  return report.violations.flatMap((v) =>
    v.violatingResources.map((r) => `${v.ruleName} ${r.resourceLogicalId} ${r.locations?.join(',') ?? ''}`),
  );
}
