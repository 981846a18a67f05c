-- CreateTable
CREATE TABLE "ControllerHeartbeat" (
    "cluster" TEXT NOT NULL,
    "controller" TEXT NOT NULL,
    "rank" INTEGER NOT NULL,
    "role" TEXT NOT NULL,
    "apiUrl" TEXT,
    "lastSeenAt" DATETIME NOT NULL,
    "epochSeen" BIGINT,

    PRIMARY KEY ("cluster", "controller")
);

