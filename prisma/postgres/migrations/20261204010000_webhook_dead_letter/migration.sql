-- CreateTable
CREATE TABLE "WebhookDeadLetter" (
    "id" SERIAL NOT NULL,
    "receiver" TEXT NOT NULL,
    "url" TEXT NOT NULL,
    "notificationId" TEXT NOT NULL,
    "type" TEXT NOT NULL,
    "sequence" INTEGER NOT NULL,
    "payload" TEXT NOT NULL,
    "attempts" INTEGER NOT NULL,
    "lastError" TEXT NOT NULL,
    "failedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "WebhookDeadLetter_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "WebhookDeadLetter_receiver_failedAt_idx" ON "WebhookDeadLetter"("receiver", "failedAt");

-- CreateIndex
CREATE INDEX "WebhookDeadLetter_failedAt_idx" ON "WebhookDeadLetter"("failedAt");

