-- CreateTable
CREATE TABLE "Request" (
    "id" TEXT NOT NULL,
    "owner" TEXT NOT NULL,
    "state" TEXT NOT NULL,
    "kind" TEXT NOT NULL,
    "cores" INTEGER NOT NULL,
    "ramGb" DOUBLE PRECISION NOT NULL,
    "diskGb" DOUBLE PRECISION NOT NULL,
    "os" TEXT NOT NULL,
    "middleware" TEXT NOT NULL,
    "sshKeys" TEXT NOT NULL,
    "durationMs" BIGINT NOT NULL,
    "queue" BOOLEAN NOT NULL,
    "host" TEXT,
    "vmName" TEXT,
    "vmUuid" TEXT,
    "overlayPath" TEXT,
    "seedPath" TEXT,
    "address" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL,
    "placedAt" TIMESTAMP(3),
    "readyAt" TIMESTAMP(3),
    "expiresAt" TIMESTAMP(3),
    "endedAt" TIMESTAMP(3),
    "warned" TEXT NOT NULL,
    "steps" TEXT NOT NULL,
    "endReason" TEXT,
    "erasedHow" TEXT,
    "error" TEXT,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "Request_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "RequestEvent" (
    "id" SERIAL NOT NULL,
    "requestId" TEXT NOT NULL,
    "at" TIMESTAMP(3) NOT NULL,
    "kind" TEXT NOT NULL,
    "message" TEXT NOT NULL,
    "data" TEXT,

    CONSTRAINT "RequestEvent_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "Request_state_idx" ON "Request"("state");

-- CreateIndex
CREATE INDEX "Request_owner_idx" ON "Request"("owner");

-- CreateIndex
CREATE INDEX "Request_createdAt_idx" ON "Request"("createdAt");

-- CreateIndex
CREATE INDEX "RequestEvent_requestId_at_idx" ON "RequestEvent"("requestId", "at");

-- AddForeignKey
ALTER TABLE "RequestEvent" ADD CONSTRAINT "RequestEvent_requestId_fkey" FOREIGN KEY ("requestId") REFERENCES "Request"("id") ON DELETE CASCADE ON UPDATE CASCADE;

