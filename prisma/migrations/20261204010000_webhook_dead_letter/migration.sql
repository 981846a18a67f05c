-- CreateTable
CREATE TABLE "WebhookDeadLetter" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "receiver" TEXT NOT NULL,
    "url" TEXT NOT NULL,
    "notificationId" TEXT NOT NULL,
    "type" TEXT NOT NULL,
    "sequence" INTEGER NOT NULL,
    "payload" TEXT NOT NULL,
    "attempts" INTEGER NOT NULL,
    "lastError" TEXT NOT NULL,
    "failedAt" DATETIME NOT NULL
);

-- CreateIndex
CREATE INDEX "WebhookDeadLetter_receiver_failedAt_idx" ON "WebhookDeadLetter"("receiver", "failedAt");

-- CreateIndex
CREATE INDEX "WebhookDeadLetter_failedAt_idx" ON "WebhookDeadLetter"("failedAt");

