export {
  type DynamoDbLocal,
  type DynamoDbLocalOptions,
  type DynamoDbLocalPaths,
  dynamoDbLocalPaths,
  LOCAL_CREDENTIALS,
  LOCAL_REGION,
  startDynamoDbLocal,
} from './dynamodb-local';
export { DynamoDbLocalError } from './errors';
