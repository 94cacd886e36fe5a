import { buildApp } from './build-app';
import { CONFIG_FILE, loadPlumblineConfig, PlumblineConfigError } from './config';
import { SignatureTrustError } from './signature-trust';

// The app of cdk.json, run through scripts/cdk-app.mjs: reads the config, synthesizes, and reports
// each mistake in the config on its own line.
const file = process.env.PLUMBLINE_CONFIG ?? CONFIG_FILE;
try {
  buildApp(loadPlumblineConfig(file)).synth();
} catch (err: unknown) {
  if (err instanceof SignatureTrustError) {
    process.stderr.write(`error: ${file}: ${err.message}\n`);
    process.exit(2);
  }
  if (!(err instanceof PlumblineConfigError)) throw err;
  for (const issue of err.issues) process.stderr.write(`error: ${err.file}: ${issue}\n`);
  process.exit(2);
}
