import scenario from '../../scenarios/share-links.scenario';
import { runOnWorkers } from '../support/run-scenario';

runOnWorkers('share-links', scenario);
