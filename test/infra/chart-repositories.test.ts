import { Aws } from 'aws-cdk-lib';
import { Match } from 'aws-cdk-lib/assertions';
import { PlumblineConfigError, parsePlumblineConfig } from '../../infra/config';
import { ecrRepositoryArns } from '../../infra/constructs/cluster-access';
import { nagFindings, PROPS, synth } from './stack';

describe('chartRepositories', () => {
  it('reaches the sync function in PLUMBLINE_DEPLOYMENT', () => {
    const { template } = synth({
      ...PROPS,
      chartRepositories: ['oci://123456789012.dkr.ecr.eu-west-1.amazonaws.com/charts'],
    });
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: {
          PLUMBLINE_DEPLOYMENT: Match.objectLike({
            'Fn::Join': Match.arrayWith([
              Match.arrayWith([
                Match.stringLikeRegexp('"chartRepositories":\\["oci://123456789012\\.dkr\\.ecr'),
              ]),
            ]),
          }),
        },
      },
    });
  });

  it.each([['ftp://charts.example.com'], ['https://user:pw@charts.example.com'], ['charts.example.com']])(
    'refuses %s in plumbline.config.json',
    (url) => {
      expect(() => parsePlumblineConfig({ ...PROPS, chartRepositories: [url] })).toThrow(
        PlumblineConfigError,
      );
      expect(() => parsePlumblineConfig({ ...PROPS, chartRepositories: [url] })).toThrow(
        /chartRepositories\[0\]: must be an https:\/\/, http:\/\/ or oci:\/\/ URL without credentials/,
      );
    },
  );
});

describe('chartRepositories in Amazon ECR', () => {
  const ECR = 'oci://123456789012.dkr.ecr.eu-west-1.amazonaws.com/charts';

  it('lets each cluster role log in to ECR and pull the charts under the ECR entries, and no other repository', () => {
    const { template, stack } = synth({
      ...PROPS,
      chartRepositories: [ECR, 'https://charts.example.com/stable'],
    });
    const roles = template.findResources('AWS::IAM::Role', {
      Properties: { RoleName: Match.stringLikeRegexp('prod') },
    });
    const statements = Object.values(roles).flatMap(
      (r) =>
        (
          r as { Properties: { Policies?: { PolicyDocument: { Statement: unknown[] } }[] } }
        ).Properties.Policies?.flatMap((p) => p.PolicyDocument.Statement) ?? [],
    );
    expect(statements).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ Action: 'ecr:GetAuthorizationToken', Resource: '*' }),
        expect.objectContaining({
          Action: ['ecr:BatchGetImage', 'ecr:GetDownloadUrlForLayer'],
          Resource: {
            'Fn::Join': [
              '',
              ['arn:', { Ref: 'AWS::Partition' }, ':ecr:eu-west-1:123456789012:repository/charts/*'],
            ],
          },
        }),
      ]),
    );
    expect(nagFindings(stack)).toEqual([]);
  });

  it('grants no ECR action when no entry is an ECR registry', () => {
    const { template } = synth({ ...PROPS, chartRepositories: ['oci://ghcr.io/acme/charts'] });
    expect(JSON.stringify(template.toJSON())).not.toContain('ecr:');
  });

  it('names every repository under the path, and all of the registry for a bare host', () => {
    expect(
      ecrRepositoryArns([
        'oci://123456789012.dkr.ecr.eu-west-1.amazonaws.com',
        'oci://210987654321.dkr.ecr.cn-north-1.amazonaws.com.cn/a/b/',
        'oci://ghcr.io/acme',
      ]),
    ).toEqual(
      [
        `arn:${Aws.PARTITION}:ecr:eu-west-1:123456789012:repository/*`,
        'arn:aws-cn:ecr:cn-north-1:210987654321:repository/a/b/*',
      ].sort(),
    );
  });
});
