import scenario from '../../scenarios/docs.scenario';
import { runOnWorkers } from '../support/run-scenario';

runOnWorkers('docs', scenario);
