import scenario from '../../scenarios/input-edges.scenario';
import { runOnWorkers } from '../support/run-scenario';

runOnWorkers('input-edges', scenario);
