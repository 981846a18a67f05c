-- CreateTable
CREATE TABLE "ControllerHeartbeat" (
    "cluster" TEXT NOT NULL,
    "controller" TEXT NOT NULL,
    "rank" INTEGER NOT NULL,
    "role" TEXT NOT NULL,
    "apiUrl" TEXT,
    "lastSeenAt" TIMESTAMP(3) NOT NULL,
    "epochSeen" BIGINT,

    CONSTRAINT "ControllerHeartbeat_pkey" PRIMARY KEY ("cluster","controller")
);

