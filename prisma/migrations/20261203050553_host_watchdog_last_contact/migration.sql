-- AlterTable
ALTER TABLE "Host" ADD COLUMN "lastContactAt" DATETIME;
ALTER TABLE "Host" ADD COLUMN "watchdog" TEXT;

