import { App } from 'aws-cdk-lib';
import { addSecurityChecks } from './checks.js';
import { ScraperStack } from './scraper-stack.js';

// Environment-agnostic on purpose: synth needs no account, no credentials, no lookups.
const app = new App();
new ScraperStack(app, 'ApiScraper');
addSecurityChecks(app);
