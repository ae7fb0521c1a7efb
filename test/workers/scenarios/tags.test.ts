import scenario from '../../scenarios/tags.scenario';
import { runOnWorkers } from '../support/run-scenario';

runOnWorkers('tags', scenario);
