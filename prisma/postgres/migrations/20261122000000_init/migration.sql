-- CreateTable
CREATE TABLE "Host" (
    "id" SERIAL NOT NULL,
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
    "ramGb" DOUBLE PRECISION NOT NULL,
    "diskTb" DOUBLE PRECISION NOT NULL,
    "state" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "Host_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "HostMac" (
    "mac" TEXT NOT NULL,
    "hostId" INTEGER NOT NULL,
    "position" INTEGER NOT NULL,

    CONSTRAINT "HostMac_pkey" PRIMARY KEY ("mac")
);

-- CreateTable
CREATE TABLE "Vm" (
    "id" SERIAL NOT NULL,
    "name" TEXT NOT NULL,
    "uuid" TEXT NOT NULL,
    "domainXml" TEXT,
    "template" TEXT,
    "homeHost" TEXT NOT NULL,
    "currentHost" TEXT NOT NULL,
    "priority" INTEGER NOT NULL,
    "diskPath" TEXT,
    "cores" INTEGER NOT NULL,
    "ramGb" DOUBLE PRECISION NOT NULL,
    "diskGb" DOUBLE PRECISION NOT NULL,
    "guestAddress" TEXT,
    "sshHost" TEXT,
    "sshPort" INTEGER,
    "sshUser" TEXT,
    "sshKeyRef" TEXT,
    "serviceCheck" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "Vm_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "TargetState" (
    "targetId" TEXT NOT NULL,
    "phase" TEXT NOT NULL,
    "rung" INTEGER,
    "maintenance" BOOLEAN NOT NULL,
    "snapshot" TEXT NOT NULL,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "TargetState_pkey" PRIMARY KEY ("targetId")
);

-- CreateTable
CREATE TABLE "Incident" (
    "id" TEXT NOT NULL,
    "targetId" TEXT NOT NULL,
    "targetKind" TEXT NOT NULL,
    "targetName" TEXT NOT NULL,
    "detectedAt" TIMESTAMP(3) NOT NULL,
    "signature" TEXT NOT NULL,
    "signatureSummary" TEXT NOT NULL,
    "entryRung" INTEGER NOT NULL,
    "currentRung" INTEGER NOT NULL,
    "state" TEXT NOT NULL,
    "resolvedAt" TIMESTAMP(3),
    "recoverySeconds" DOUBLE PRECISION,
    "note" TEXT,

    CONSTRAINT "Incident_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "IncidentEvent" (
    "id" SERIAL NOT NULL,
    "incidentId" TEXT NOT NULL,
    "at" TIMESTAMP(3) NOT NULL,
    "kind" TEXT NOT NULL,
    "message" TEXT NOT NULL,
    "data" TEXT,

    CONSTRAINT "IncidentEvent_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Action" (
    "id" TEXT NOT NULL,
    "incidentId" TEXT NOT NULL,
    "targetId" TEXT NOT NULL,
    "rung" INTEGER NOT NULL,
    "kind" TEXT NOT NULL,
    "attempt" INTEGER NOT NULL,
    "startedAt" TIMESTAMP(3) NOT NULL,
    "finishedAt" TIMESTAMP(3),
    "outcome" TEXT,
    "error" TEXT,
    "fencingToken" BIGINT,

    CONSTRAINT "Action_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "AuditEntry" (
    "id" SERIAL NOT NULL,
    "at" TIMESTAMP(3) NOT NULL,
    "actor" TEXT NOT NULL,
    "action" TEXT NOT NULL,
    "target" TEXT,
    "details" TEXT,

    CONSTRAINT "AuditEntry_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "ControllerLease" (
    "name" TEXT NOT NULL,
    "holder" TEXT NOT NULL,
    "token" BIGINT NOT NULL,
    "expiresAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "ControllerLease_pkey" PRIMARY KEY ("name")
);

-- CreateTable
CREATE TABLE "HostLease" (
    "id" TEXT NOT NULL,
    "owner" TEXT NOT NULL,
    "vmName" TEXT NOT NULL,
    "cores" INTEGER NOT NULL,
    "ramGb" DOUBLE PRECISION NOT NULL,
    "diskTb" DOUBLE PRECISION NOT NULL,
    "os" TEXT NOT NULL,
    "middleware" TEXT,
    "startsAt" TIMESTAMP(3) NOT NULL,
    "endsAt" TIMESTAMP(3) NOT NULL,
    "state" TEXT NOT NULL,

    CONSTRAINT "HostLease_pkey" PRIMARY KEY ("id")
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

-- AddForeignKey
ALTER TABLE "HostMac" ADD CONSTRAINT "HostMac_hostId_fkey" FOREIGN KEY ("hostId") REFERENCES "Host"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Vm" ADD CONSTRAINT "Vm_homeHost_fkey" FOREIGN KEY ("homeHost") REFERENCES "Host"("name") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Vm" ADD CONSTRAINT "Vm_currentHost_fkey" FOREIGN KEY ("currentHost") REFERENCES "Host"("name") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "IncidentEvent" ADD CONSTRAINT "IncidentEvent_incidentId_fkey" FOREIGN KEY ("incidentId") REFERENCES "Incident"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Action" ADD CONSTRAINT "Action_incidentId_fkey" FOREIGN KEY ("incidentId") REFERENCES "Incident"("id") ON DELETE CASCADE ON UPDATE CASCADE;

