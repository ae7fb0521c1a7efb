import scenario from '../../scenarios/images-ids.scenario';
import { runOnWorkers } from '../support/run-scenario';

runOnWorkers('images-ids', scenario);
