// Every test file removes the temporary directories it made (service data directories, chains).
import { afterAll } from 'vitest';
import { removeTempDirs } from '../helpers/service-process';

afterAll(removeTempDirs);
