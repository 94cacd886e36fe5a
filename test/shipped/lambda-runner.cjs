'use strict';
// Invokes a Lambda bundle as the nodejs runtime does: require LAMBDA_TASK_ROOT/<file>.js, call the
// exported handler(event, context) once, and write its answer (or its error) as JSON to a file.
// Run with the pinned Node 22 (scripts/node22.sh) by test/shipped/lambdas.test.ts.
const { randomUUID } = require('node:crypto');
const { readFileSync, writeFileSync } = require('node:fs');
const path = require('node:path');

const [taskRoot, handlerSpec, eventFile, resultFile, timeoutSeconds] = process.argv.slice(2);
const dot = handlerSpec.lastIndexOf('.');
const file = handlerSpec.slice(0, dot);
const name = handlerSpec.slice(dot + 1);
const deadline = Date.now() + Number(timeoutSeconds) * 1000;
const context = {
  functionName: process.env.AWS_LAMBDA_FUNCTION_NAME,
  functionVersion: '$LATEST',
  memoryLimitInMB: process.env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE,
  awsRequestId: randomUUID(),
  invokedFunctionArn: `arn:aws:lambda:${process.env.AWS_REGION}:000000000000:function:${process.env.AWS_LAMBDA_FUNCTION_NAME}`,
  logGroupName: `/aws/lambda/${process.env.AWS_LAMBDA_FUNCTION_NAME}`,
  logStreamName: 'local',
  callbackWaitsForEmptyEventLoop: true,
  getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
};

function finish(answer) {
  writeFileSync(resultFile, JSON.stringify(answer));
  // Lambda freezes the sandbox once the handler settles: open sockets must not keep this alive.
  process.exit(0);
}

process.chdir(taskRoot);
let handler;
try {
  handler = require(path.join(taskRoot, file))[name];
} catch (err) {
  finish({ error: `Runtime.ImportModuleError: ${err?.stack ? err.stack : String(err)}` });
}
Promise.resolve()
  .then(() => handler(JSON.parse(readFileSync(eventFile, 'utf8')), context))
  .then(
    (result) => finish({ result: result === undefined ? null : result }),
    (err) => finish({ error: err?.stack ? err.stack : String(err) }),
  );
