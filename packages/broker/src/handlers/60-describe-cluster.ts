/**
 * DescribeCluster (key 60), versions 0-1.
 * Behaviour, as a Kafka 3.9 broker answers (checked side by side): the brokers (their endpoints on the
 * request's listener), the cluster id, the controller. v1 endpoint_type 1 (brokers) is answered; 2
 * (controllers, which only KRaft controllers serve) is MISMATCHED_ENDPOINT_TYPE with an otherwise empty answer;
 * any other type is UNSUPPORTED_ENDPOINT_TYPE.
 */
import { ApiKey, DescribeClusterResponse, ErrorCode, asBrokerId } from '@tributary/protocol';
import { AUTHORIZED_OPERATIONS_OMITTED, CLUSTER_OPERATIONS } from './authorized-operations';
import { brokersOnListener } from './broker-endpoints';
import { defineHandler } from './handler';

const ENDPOINT_TYPE_BROKERS = 1;
const ENDPOINT_TYPE_CONTROLLERS = 2;

export const describeClusterHandler = defineHandler({
  apiKey: ApiKey.DescribeCluster,
  minVersion: 0,
  maxVersion: 1,
  handle(request, context) {
    const { metadata } = context.services;
    const endpointType = context.apiVersion >= 1 ? request.endpointType : ENDPOINT_TYPE_BROKERS;
    if (endpointType !== ENDPOINT_TYPE_BROKERS) {
      const mismatched = endpointType === ENDPOINT_TYPE_CONTROLLERS;
      return refusal(
        mismatched ? ErrorCode.MISMATCHED_ENDPOINT_TYPE : ErrorCode.UNSUPPORTED_ENDPOINT_TYPE,
        mismatched ? 'The request was sent to an endpoint of type BROKER, but we wanted an endpoint of type CONTROLLER' : `Unsupported endpoint type ${endpointType}`,
      );
    }
    return {
      throttleTimeMs: 0,
      errorCode: ErrorCode.NONE,
      errorMessage: null,
      endpointType,
      clusterId: metadata.clusterId,
      controllerId: metadata.controllerId(),
      brokers: brokersOnListener(metadata, context.connection.listenerName),
      clusterAuthorizedOperations: request.includeClusterAuthorizedOperations ? CLUSTER_OPERATIONS : AUTHORIZED_OPERATIONS_OMITTED,
    };
  },
  errorResponse(_request, errorCode, errorMessage) {
    return refusal(errorCode as ErrorCode, errorMessage);
  },
});

function refusal(errorCode: ErrorCode, errorMessage: string): DescribeClusterResponse {
  return {
    throttleTimeMs: 0,
    errorCode,
    errorMessage,
    endpointType: ENDPOINT_TYPE_BROKERS,
    clusterId: '',
    controllerId: asBrokerId(-1),
    brokers: [],
    clusterAuthorizedOperations: AUTHORIZED_OPERATIONS_OMITTED,
  };
}
