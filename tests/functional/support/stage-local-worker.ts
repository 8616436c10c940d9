/**
 * Imported first (before ../../support/stack reads STAGE) by the test of `consumer: worker`: it uses the
 * stack of stage `local-worker`, which `make test-functional` deploys beside `local`. Jest gives each test
 * file a process.env of its own, so the other files keep stage `local`.
 */
process.env.STAGE = 'local-worker';
