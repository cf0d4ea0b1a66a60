/** The stack's name for a stage: `ApiScraper`, or `ApiScraper-<stage>` (`cdk deploy -c stage=dev`). */
export function stackName(stage: unknown): string {
  if (stage === undefined || stage === null || stage === '') return 'ApiScraper';
  if (typeof stage !== 'string' || !/^[a-z0-9](?:[a-z0-9-]{0,18}[a-z0-9])?$/.test(stage)) {
    throw new Error(
      `stage: expected lower-case letters, digits and hyphens (at most 20, like dev or prod-2), got ${JSON.stringify(stage)}`,
    );
  }
  return `ApiScraper-${stage}`;
}
