import scenario from '../../scenarios/images-delete.scenario';
import { runOnWorkers } from '../support/run-scenario';

runOnWorkers('images-delete', scenario);
