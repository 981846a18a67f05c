-- CreateTable
CREATE TABLE "Request" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "owner" TEXT NOT NULL,
    "state" TEXT NOT NULL,
    "kind" TEXT NOT NULL,
    "cores" INTEGER NOT NULL,
    "ramGb" REAL NOT NULL,
    "diskGb" REAL NOT NULL,
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
    "createdAt" DATETIME NOT NULL,
    "placedAt" DATETIME,
    "readyAt" DATETIME,
    "expiresAt" DATETIME,
    "endedAt" DATETIME,
    "warned" TEXT NOT NULL,
    "steps" TEXT NOT NULL,
    "endReason" TEXT,
    "erasedHow" TEXT,
    "error" TEXT,
    "updatedAt" DATETIME NOT NULL
);

-- CreateTable
CREATE TABLE "RequestEvent" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "requestId" TEXT NOT NULL,
    "at" DATETIME NOT NULL,
    "kind" TEXT NOT NULL,
    "message" TEXT NOT NULL,
    "data" TEXT,
    CONSTRAINT "RequestEvent_requestId_fkey" FOREIGN KEY ("requestId") REFERENCES "Request" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- CreateIndex
CREATE INDEX "Request_state_idx" ON "Request"("state");

-- CreateIndex
CREATE INDEX "Request_owner_idx" ON "Request"("owner");

-- CreateIndex
CREATE INDEX "Request_createdAt_idx" ON "Request"("createdAt");

-- CreateIndex
CREATE INDEX "RequestEvent_requestId_at_idx" ON "RequestEvent"("requestId", "at");

