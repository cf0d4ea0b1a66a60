import { App } from 'aws-cdk-lib';
import { addSecurityChecks } from './checks.js';
import { ScraperStack } from './scraper-stack.js';
import { stackName } from './stage.js';

// Environment-agnostic on purpose: synth needs no account, no credentials, no lookups.
// `-c stage=dev` deploys a second, independent copy (ApiScraper-dev) beside the first.
const app = new App();
new ScraperStack(app, stackName(app.node.tryGetContext('stage')));
addSecurityChecks(app);
