-- CreateTable
CREATE TABLE "Host" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "name" TEXT NOT NULL,
    "role" TEXT NOT NULL,
    "ip" TEXT NOT NULL,
    "bmcAddress" TEXT,
    "bmcPort" INTEGER,
    "bmcUser" TEXT,
    "bmcSecretRef" TEXT,
    "hypervisorUri" TEXT NOT NULL,
    "sshHost" TEXT,
    "sshPort" INTEGER,
    "sshUser" TEXT,
    "sshKeyRef" TEXT,
    "cores" INTEGER NOT NULL,
    "ramGb" REAL NOT NULL,
    "diskTb" REAL NOT NULL,
    "state" TEXT NOT NULL,
    "createdAt" DATETIME NOT NULL,
    "updatedAt" DATETIME NOT NULL
);

-- CreateTable
CREATE TABLE "HostMac" (
    "mac" TEXT NOT NULL PRIMARY KEY,
    "hostId" INTEGER NOT NULL,
    "position" INTEGER NOT NULL,
    CONSTRAINT "HostMac_hostId_fkey" FOREIGN KEY ("hostId") REFERENCES "Host" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- CreateTable
CREATE TABLE "Vm" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "name" TEXT NOT NULL,
    "uuid" TEXT NOT NULL,
    "domainXml" TEXT,
    "template" TEXT,
    "homeHost" TEXT NOT NULL,
    "currentHost" TEXT NOT NULL,
    "priority" INTEGER NOT NULL,
    "diskPath" TEXT,
    "cores" INTEGER NOT NULL,
    "ramGb" REAL NOT NULL,
    "diskGb" REAL NOT NULL,
    "guestAddress" TEXT,
    "sshHost" TEXT,
    "sshPort" INTEGER,
    "sshUser" TEXT,
    "sshKeyRef" TEXT,
    "serviceCheck" TEXT,
    "createdAt" DATETIME NOT NULL,
    "updatedAt" DATETIME NOT NULL,
    CONSTRAINT "Vm_homeHost_fkey" FOREIGN KEY ("homeHost") REFERENCES "Host" ("name") ON DELETE RESTRICT ON UPDATE CASCADE,
    CONSTRAINT "Vm_currentHost_fkey" FOREIGN KEY ("currentHost") REFERENCES "Host" ("name") ON DELETE RESTRICT ON UPDATE CASCADE
);

-- CreateTable
CREATE TABLE "TargetState" (
    "targetId" TEXT NOT NULL PRIMARY KEY,
    "phase" TEXT NOT NULL,
    "rung" INTEGER,
    "maintenance" BOOLEAN NOT NULL,
    "snapshot" TEXT NOT NULL,
    "updatedAt" DATETIME NOT NULL
);

-- CreateTable
CREATE TABLE "Incident" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "targetId" TEXT NOT NULL,
    "targetKind" TEXT NOT NULL,
    "targetName" TEXT NOT NULL,
    "detectedAt" DATETIME NOT NULL,
    "signature" TEXT NOT NULL,
    "signatureSummary" TEXT NOT NULL,
    "entryRung" INTEGER NOT NULL,
    "currentRung" INTEGER NOT NULL,
    "state" TEXT NOT NULL,
    "resolvedAt" DATETIME,
    "recoverySeconds" REAL,
    "note" TEXT
);

-- CreateTable
CREATE TABLE "IncidentEvent" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "incidentId" TEXT NOT NULL,
    "at" DATETIME NOT NULL,
    "kind" TEXT NOT NULL,
    "message" TEXT NOT NULL,
    "data" TEXT,
    CONSTRAINT "IncidentEvent_incidentId_fkey" FOREIGN KEY ("incidentId") REFERENCES "Incident" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- CreateTable
CREATE TABLE "Action" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "incidentId" TEXT NOT NULL,
    "targetId" TEXT NOT NULL,
    "rung" INTEGER NOT NULL,
    "kind" TEXT NOT NULL,
    "attempt" INTEGER NOT NULL,
    "startedAt" DATETIME NOT NULL,
    "finishedAt" DATETIME,
    "outcome" TEXT,
    "error" TEXT,
    "fencingToken" BIGINT,
    CONSTRAINT "Action_incidentId_fkey" FOREIGN KEY ("incidentId") REFERENCES "Incident" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- CreateTable
CREATE TABLE "AuditEntry" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "at" DATETIME NOT NULL,
    "actor" TEXT NOT NULL,
    "action" TEXT NOT NULL,
    "target" TEXT,
    "details" TEXT
);

-- CreateTable
CREATE TABLE "ControllerLease" (
    "name" TEXT NOT NULL PRIMARY KEY,
    "holder" TEXT NOT NULL,
    "token" BIGINT NOT NULL,
    "expiresAt" DATETIME NOT NULL
);

-- CreateTable
CREATE TABLE "HostLease" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "owner" TEXT NOT NULL,
    "vmName" TEXT NOT NULL,
    "cores" INTEGER NOT NULL,
    "ramGb" REAL NOT NULL,
    "diskTb" REAL NOT NULL,
    "os" TEXT NOT NULL,
    "middleware" TEXT,
    "startsAt" DATETIME NOT NULL,
    "endsAt" DATETIME NOT NULL,
    "state" TEXT NOT NULL
);

-- CreateIndex
CREATE UNIQUE INDEX "Host_name_key" ON "Host"("name");

-- CreateIndex
CREATE INDEX "HostMac_hostId_idx" ON "HostMac"("hostId");

-- CreateIndex
CREATE UNIQUE INDEX "Vm_name_key" ON "Vm"("name");

-- CreateIndex
CREATE UNIQUE INDEX "Vm_uuid_key" ON "Vm"("uuid");

-- CreateIndex
CREATE INDEX "Vm_homeHost_idx" ON "Vm"("homeHost");

-- CreateIndex
CREATE INDEX "Vm_currentHost_idx" ON "Vm"("currentHost");

-- CreateIndex
CREATE INDEX "Incident_state_idx" ON "Incident"("state");

-- CreateIndex
CREATE INDEX "Incident_targetId_idx" ON "Incident"("targetId");

-- CreateIndex
CREATE INDEX "Incident_detectedAt_idx" ON "Incident"("detectedAt");

-- CreateIndex
CREATE INDEX "IncidentEvent_incidentId_at_idx" ON "IncidentEvent"("incidentId", "at");

-- CreateIndex
CREATE INDEX "Action_incidentId_startedAt_idx" ON "Action"("incidentId", "startedAt");

-- CreateIndex
CREATE INDEX "Action_startedAt_idx" ON "Action"("startedAt");

-- CreateIndex
CREATE INDEX "AuditEntry_at_idx" ON "AuditEntry"("at");

-- CreateIndex
CREATE INDEX "HostLease_state_idx" ON "HostLease"("state");

-- CreateIndex
CREATE INDEX "HostLease_owner_idx" ON "HostLease"("owner");

