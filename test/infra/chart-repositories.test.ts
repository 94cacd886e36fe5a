import { Match } from 'aws-cdk-lib/assertions';
import { PlumblineConfigError, parsePlumblineConfig } from '../../infra/config';
import { PROPS, synth } from './stack';

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
