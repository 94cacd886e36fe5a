import { repositoryAllowed } from '../../lib/adapters/charts';

describe('repositoryAllowed', () => {
  it.each([
    ['oci://registry.example.com/charts', ['oci://registry.example.com/charts'], true],
    ['oci://registry.example.com/charts/team-a', ['oci://registry.example.com/charts/'], true],
    ['oci://registry.example.com/charts-evil', ['oci://registry.example.com/charts'], false],
    ['oci://registry.example.com/other', ['oci://registry.example.com/charts'], false],
    ['oci://registry.example.com.evil.io/charts', ['oci://registry.example.com'], false],
    ['oci://registry.example.com:5000/charts', ['oci://registry.example.com/charts'], false],
    ['https://charts.example.com/stable', ['http://charts.example.com/stable'], false],
    ['https://charts.example.com/stable', ['https://charts.example.com'], true],
    ['https://Charts.Example.com/stable', ['https://charts.example.com/stable'], true],
    ['https://charts.example.com/stable', [], false],
    ['https://charts.example.com/stable', ['not a url'], false],
  ])('%s against %j: %s', (repository, list, allowed) => {
    expect(repositoryAllowed(repository, list)).toBe(allowed);
  });
});
