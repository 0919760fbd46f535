/**
 * The Regions where Amazon Comprehend, custom classification included, is available ("Guidelines and quotas",
 * Supported Regions, Amazon Comprehend Developer Guide). The app also needs Comprehend's and SNS's interface
 * endpoints in two zones of the Region, which the network stack checks when it plans.
 */
export const COMPREHEND_REGIONS = [
  "us-east-2",
  "us-east-1",
  "us-west-2",
  "ap-south-1",
  "ap-northeast-2",
  "ap-southeast-1",
  "ap-southeast-2",
  "ap-northeast-1",
  "ca-central-1",
  "eu-central-1",
  "eu-west-1",
  "eu-west-2",
  "us-gov-west-1",
] as const;
