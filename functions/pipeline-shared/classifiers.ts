import {
  type ComprehendClient,
  DescribeDocumentClassifierCommand,
  type DocumentClassifierProperties,
  ListTagsForResourceCommand,
  paginateListDocumentClassifiers,
  TagResourceCommand,
} from "@aws-sdk/client-comprehend";

/** True when `error` is the named AWS service exception (compared by name so mocks and bundles agree). */
export function isAwsError(error: unknown, ...names: string[]): boolean {
  return error instanceof Error && names.includes(error.name);
}

/** The classifier behind an ARN, or undefined when Comprehend does not know it (yet). */
export async function describeClassifier(
  comprehend: ComprehendClient,
  arn: string,
): Promise<DocumentClassifierProperties | undefined> {
  try {
    const output = await comprehend.send(
      new DescribeDocumentClassifierCommand({ DocumentClassifierArn: arn }),
    );
    return output.DocumentClassifierProperties;
  } catch (error) {
    if (isAwsError(error, "ResourceNotFoundException")) return undefined;
    throw error;
  }
}

/** Every classifier (all versions) with exactly this name, paging through ListDocumentClassifiers. */
export async function listClassifiersNamed(
  comprehend: ComprehendClient,
  name: string,
): Promise<DocumentClassifierProperties[]> {
  const found: DocumentClassifierProperties[] = [];
  for await (const page of paginateListDocumentClassifiers(
    { client: comprehend },
    { Filter: { DocumentClassifierName: name } },
  )) {
    found.push(...(page.DocumentClassifierPropertiesList ?? []));
  }
  return found;
}

/** Every classifier of the account and region; the caller filters by name because the API filters one field. */
export async function* listAllClassifiers(
  comprehend: ComprehendClient,
): AsyncGenerator<DocumentClassifierProperties> {
  for await (const page of paginateListDocumentClassifiers({ client: comprehend }, {})) {
    yield* page.DocumentClassifierPropertiesList ?? [];
  }
}

export function latestSubmitted(
  classifiers: readonly DocumentClassifierProperties[],
): DocumentClassifierProperties | undefined {
  return [...classifiers].sort((a, b) => (b.SubmitTime?.getTime() ?? 0) - (a.SubmitTime?.getTime() ?? 0))[0];
}

export async function readTags(comprehend: ComprehendClient, arn: string): Promise<Record<string, string>> {
  const output = await comprehend.send(new ListTagsForResourceCommand({ ResourceArn: arn }));
  return Object.fromEntries((output.Tags ?? []).map((tag) => [tag.Key ?? "", tag.Value ?? ""]));
}

export async function writeTag(
  comprehend: ComprehendClient,
  arn: string,
  key: string,
  value: string,
): Promise<void> {
  await comprehend.send(new TagResourceCommand({ ResourceArn: arn, Tags: [{ Key: key, Value: value }] }));
}

export const FINISHED_STATUSES = ["TRAINED", "TRAINED_WITH_WARNING"] as const;
export const FAILED_STATUSES = ["IN_ERROR", "STOPPED"] as const;
export const IN_FLIGHT_STATUSES = ["SUBMITTED", "TRAINING"] as const;

export function isFinished(status: string | undefined): boolean {
  return (FINISHED_STATUSES as readonly (string | undefined)[]).includes(status);
}

export function isFailed(status: string | undefined): boolean {
  return (FAILED_STATUSES as readonly (string | undefined)[]).includes(status);
}

export function isInFlight(status: string | undefined): boolean {
  return (IN_FLIGHT_STATUSES as readonly (string | undefined)[]).includes(status);
}
