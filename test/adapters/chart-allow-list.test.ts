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
    ['https://charts.example.com/stable/..%2Fprivate', ['https://charts.example.com/stable'], false],
    ['https://charts.example.com/stable/%2e%2e%2fprivate', ['https://charts.example.com/stable'], false],
    ['https://charts.example.com/stable/..%5Cprivate', ['https://charts.example.com/stable'], false],
    ['oci://registry.example.com/charts/%2E%2E/x', ['oci://registry.example.com/charts'], false],
    ['https://charts.example.com/stable?x=1', ['https://charts.example.com/stable'], false],
    ['https://charts.example.com/stable/team%2Da', ['https://charts.example.com/stable'], true],
  ])('%s against %j: %s', (repository, list, allowed) => {
    expect(repositoryAllowed(repository, list)).toBe(allowed);
  });
});
