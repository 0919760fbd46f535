import "aws-sdk-client-mock-jest";

// Handlers read their configuration at import time; tests that need other values set them before importing.
process.env.AWS_REGION ??= "us-east-1";
process.env.POWERTOOLS_LOG_LEVEL ??= "SILENT";
