// One-node replica set for docker-compose.yml (run by the mongo-init service with mongosh).
// rs.status() throws NotYetInitialized (code 94) before the first rs.initiate; any other error is a real problem.
try {
  rs.status();
  print('replica set rs0 already initiated');
} catch (error) {
  if (error.code !== 94 && error.codeName !== 'NotYetInitialized') throw error;
  // The member's host is the service name, which the IdP's driver resolves on the compose network.
  rs.initiate({ _id: 'rs0', members: [{ _id: 0, host: 'mongo:27017' }] });
  print('replica set rs0 initiated');
}
for (let i = 0; i < 60 && !db.hello().isWritablePrimary; i += 1) sleep(1000);
if (!db.hello().isWritablePrimary) {
  print('replica set rs0 has no writable primary after 60 s');
  quit(1);
}
print('replica set rs0 ready');
