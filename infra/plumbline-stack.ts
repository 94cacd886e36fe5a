import { Stack, type StackProps, Validations } from 'aws-cdk-lib';
import type { ILayerVersion } from 'aws-cdk-lib/aws-lambda';
import type { Construct } from 'constructs';
import type { PlumblineProps } from './config';
import { Plumbline } from './constructs/plumbline';

export interface PlumblineStackProps extends StackProps {
  readonly plumbline: PlumblineProps;
  readonly projectRoot?: string;
  readonly kubectlLayer?: (scope: Construct) => ILayerVersion;
}

/** The deployment: one Plumbline construct, with the cdk-nag findings we accept and why. */
export class PlumblineStack extends Stack {
  readonly plumbline: Plumbline;

  constructor(scope: Construct, id: string, props: PlumblineStackProps) {
    super(scope, id, props);
    this.plumbline = new Plumbline(this, 'Plumbline', {
      ...props.plumbline,
      projectRoot: props.projectRoot,
      kubectlLayer: props.kubectlLayer,
    });
    suppressAcceptedFindings(this);
  }
}

function suppressAcceptedFindings(stack: PlumblineStack): void {
  const accepted = [
    {
      id: 'AwsSolutions-APIG4',
      reason:
        'Git hosts cannot call IAM or JWT authorizers; the webhook function authenticates each delivery by HMAC or token before anything is read (#5).',
    },
    {
      id: 'AwsSolutions-SMG4',
      reason:
        'The webhook secret is also held by the git host and git credentials are issued by it: rotating them is a change in both places, done by hand.',
    },
    {
      id: 'AwsSolutions-L1',
      reason: 'Node.js 22 is the runtime the handlers are built and tested for (#7); upgraded deliberately.',
    },
  ];
  for (const a of accepted) Validations.of(stack).acknowledge(a);
}
